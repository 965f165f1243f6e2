"""The cash dialog: the opening float, and the count of the drawer note by note and coin
by coin on the keypad, against the cash it should hold.

It speaks to the till core's `cash(action, ...)` (till/cash.py) on the controller's
worker and hears `cash_expected`, `cash_recorded` and the refusals as a listener of
the controller. The pieces go as typed: the till checks them (`bad_count`).
"""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from appliance.domain.cash import DENOMINATIONS

from .controller import TillController
from .dialogs import Dialog
from .i18n import _, label_value, money, parse_amount
from .texts import describe_error
from .theme import COLOURS, SIZES, TOUCH
from .widgets import Keypad, TextLabel, TouchButton

__all__ = ["CashDialog"]


class CashDialog(Dialog):
    def __init__(self, ctl: TillController) -> None:
        super().__init__(_("Cash control"), size_hint=(0.9, 0.95))
        self.tag = "cash"
        self.ctl = ctl
        self.counts: dict[int, str] = {}
        self.chosen = DENOMINATIONS[3]
        self.expected = TextLabel(text="", size_hint_y=None, height=dp(32))
        self.expected.tag = "cash:expected"
        self.note = TextLabel(text="", size_hint_y=None, height=dp(32), color=COLOURS["muted"])
        self.note.tag = "cash:note"
        self.box.add_widget(self.expected)
        middle = BoxLayout(spacing=dp(8))
        grid = GridLayout(cols=3, spacing=dp(4), size_hint_x=0.55)
        self.pieces: dict[int, TouchButton] = {}
        for d in DENOMINATIONS:
            b = TouchButton("", tag=f"cash:d:{d}", font_size=sp(SIZES["small"]))
            b.bind(on_release=lambda _b, d=d: self._choose(d))
            self.pieces[d] = b
            grid.add_widget(b)
        self.keypad = Keypad(
            [
                (_("Pieces"), "cash:pieces", self._set_pieces),
                (_("Float"), "cash:float", self._float),
            ],
            tag="cashkey",
            size_hint_x=0.45,
        )
        middle.add_widget(grid)
        middle.add_widget(self.keypad)
        self.box.add_widget(middle)
        self.box.add_widget(self.note)
        bottom = BoxLayout(spacing=dp(8), size_hint_y=None, height=dp(TOUCH * 1.3))
        count = TouchButton(_("Record the count"), tag="cash:count",
                            colour=list(COLOURS["function"]))  # fmt: skip
        count.bind(on_release=lambda *_: self._count())
        close = TouchButton(_("Close"), tag="cash:close")
        close.bind(on_release=lambda *_: self.dismiss())
        bottom.add_widget(count)
        bottom.add_widget(close)
        self.box.add_widget(bottom)
        ctl.listeners.append(self.heard)
        self.bind(on_dismiss=lambda *_: self._gone())
        self._draw()
        self._call("expected")

    def _gone(self) -> None:
        if self.heard in self.ctl.listeners:
            self.ctl.listeners.remove(self.heard)

    def _call(self, action: str, **args: Any) -> None:
        till = self.ctl.till
        self.ctl.worker.submit(lambda: till.cash(action, **args))

    # -- the keys ------------------------------------------------------------------
    def _choose(self, denomination: int) -> None:
        self.chosen = denomination
        self._draw()

    def _set_pieces(self, typed: str) -> None:
        if typed:
            self.counts[self.chosen] = typed
        else:
            self.counts.pop(self.chosen, None)
        rest = [d for d in DENOMINATIONS if d < self.chosen]
        self.chosen = rest[0] if rest else self.chosen  # on to the next coin
        self._draw()

    def _float(self, typed: str) -> None:
        try:
            cents = parse_amount(typed)
        except ValueError:
            cents = 0
        self._call("float", amount=cents)

    def _count(self) -> None:
        self._call("count", counted={str(d): n for d, n in self.counts.items()})

    # -- what the till says ----------------------------------------------------------
    def heard(self, ev: dict[str, Any]) -> None:
        name = ev.get("event")
        if name == "cash_expected":
            self.expected.text = label_value(
                _("Expected in the drawer"), money(int(ev.get("expected_cash") or 0))
            )
        elif name == "cash_recorded" and ev.get("action") == "count":
            diff = int(ev.get("cash_difference") or 0)
            self.ctl._say(_("Count recorded: difference {amount}.").format(amount=money(diff)))
            self.dismiss()
        elif name == "cash_recorded":
            self.heard({**ev, "event": "cash_expected"})
            self.note.text = _("Float recorded: {amount}.").format(
                amount=money(int(ev["record"]["amount"]))
            )
        elif name == "error" and "action" in ev:
            self.note.text = describe_error(ev)
            self.note.color = COLOURS["danger"]

    def _draw(self) -> None:
        total = 0
        for d, b in self.pieces.items():
            typed = self.counts.get(d, "")
            if typed.isdigit():
                total += d * int(typed)
            b.label = f"{money(d)} × {typed or '0'}"
            b.colour = list(COLOURS["function"] if d == self.chosen else COLOURS["key"])
        self.keypad.hint = _("Pieces of {amount}").format(amount=money(self.chosen))
        self.note.text = label_value(_("Counted"), money(total))
        self.note.color = COLOURS["muted"]
