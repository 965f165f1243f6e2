"""The kitchen order of the sale on screen: table and covers on the keypad, the
customer's name and a note typed, what goes and what the kitchen already has.

Send sends only the lines the kitchen does not have yet (the ticket marks the
others "sent"); Reprint sends those again, marked as a copy on the kitchen's
paper. When the store wants a table or a name on every order (its
`kitchen_order` setting), Send says so until one is typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout

from .dialogs import Choices, Dialog, _field
from .i18n import _, ngettext
from .texts import describe_error
from .theme import COLOURS, TOUCH
from .widgets import Keypad, TextLabel, TouchButton

__all__ = ["KitchenDialog", "kitchen_counts"]

#: (table, covers, note, name, reprint)
OnSend = Callable[[str, "int | None", str, str, bool], Any]


def kitchen_counts(sale: dict[str, Any]) -> tuple[int, int]:
    """(lines the kitchen does not have yet, in part or whole; lines it has)."""
    new = sent = 0
    for ln in sale.get("lines") or []:
        have = min(int(ln.get("kitchen_sent") or 0), int(ln.get("quantity") or 0))
        new += have < int(ln.get("quantity") or 0)
        sent += have > 0
    return new, sent


class KitchenDialog(Dialog):
    def __init__(self, on_send: OnSend, sale: dict[str, Any], need: str = "") -> None:
        super().__init__(_("Send to the kitchen"), size_hint=(0.6, 0.95))
        self.tag = "kitchen"
        self.need = need
        self.which = Choices(
            [("table", _("Table")), ("covers", _("Covers"))],
            "kitchen:field",
            on_choose=lambda v: setattr(self.keypad, "entry", self.values[v]),
        )
        self.box.add_widget(self.which)
        self.summary = TextLabel(color=COLOURS["text"], size_hint_y=None, height=dp(30))
        self.box.add_widget(self.summary)
        self.values = {"table": "", "covers": ""}
        self.keypad = Keypad(tag="kitchen:key")
        self.keypad.bind(entry=self._typed)
        self.box.add_widget(self.keypad)
        fields = BoxLayout(spacing=dp(10), size_hint_y=None, height=dp(TOUCH))
        self.name = _field(_("Name (take-away)"), "kitchen:name", size_hint_x=0.4)
        self.note = _field(_("Note (no onions...)"), "kitchen:note", size_hint_x=0.6)
        fields.add_widget(self.name)
        fields.add_widget(self.note)
        self.box.add_widget(fields)
        new, sent = kitchen_counts(sale)
        self.status = TextLabel(color=COLOURS["text"], size_hint_y=None, height=dp(44))
        self.status.tag = "kitchen:status"
        self.status.text = self._counts(new, sent)
        self.box.add_widget(self.status)
        row = BoxLayout(spacing=dp(10), size_hint_y=None, height=dp(TOUCH * 1.3))
        cancel = TouchButton(_("Close"), tag="kitchen:close")
        cancel.bind(on_release=lambda *_: self.dismiss())
        self.reprint = TouchButton(_("Reprint sent lines"), tag="kitchen:reprint")
        self.reprint.disabled = not sent
        self.reprint.reason = _("Nothing sent yet")
        self.send = TouchButton(_("Send"), tag="kitchen:send", colour=list(COLOURS["pay"]))
        self.send.disabled = bool(sent) and not new
        self.send.reason = _("All sent")

        def go(reprint: bool) -> None:
            table, covers, name = self.values["table"], self.values["covers"], self.name.text
            missing = self._missing(table, name.strip())
            if missing:
                self.status.text = describe_error({"code": missing})
                self.status.color = COLOURS["bad"]
                return
            number = int(covers) if covers.isdigit() else None
            on_send(table, number, self.note.text, name.strip(), reprint)
            self.dismiss()

        self.send.bind(on_release=lambda *_: go(False))
        self.reprint.bind(on_release=lambda *_: go(True))
        for b in (cancel, self.reprint, self.send):
            row.add_widget(b)
        self.box.add_widget(row)
        self.fold = [self.which, self.summary, self.keypad]
        self._typed()

    def _counts(self, new: int, sent: int) -> str:
        parts = [ngettext("{n} line to send", "{n} lines to send", new).format(n=new)]
        if sent:
            parts.append(
                ngettext("{n} line already sent", "{n} lines already sent", sent).format(n=sent)
            )
        if self.need:
            parts.append(
                {
                    "table": _("a table is needed"),
                    "name": _("a name is needed"),
                }.get(self.need, _("a table or a name is needed"))
            )
        return " · ".join(parts)

    def _missing(self, table: str, name: str) -> str:
        if self.need == "table" and not table:
            return "table_needed"
        if self.need == "name" and not name:
            return "name_needed"
        if self.need == "table_or_name" and not (table or name):
            return "table_or_name_needed"
        return ""

    def _typed(self, *_args: Any) -> None:
        self.values[self.which.value] = self.keypad.entry
        self.summary.text = _("Table {table} · {covers} covers").format(
            table=self.values["table"] or "–", covers=self.values["covers"] or "–"
        )
