"""The refund screen: a past sale found from its ticket number, its lines chosen with
the quantities to give back, the way it goes back (the original payment, cash, the
card), a manager's PIN above the threshold.

It speaks to the till core's refund commands (`till.refund(action, ...)`,
till/refunds.py) on the controller's worker and draws what its events say
(`refund_found`, `refund_closed`), heard as a listener of the controller. The
refusals are said by the controller, in the cashier's words (texts_refunds.py).
"""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView

from appliance.domain.refund import refund_amount

from .controller import TillController
from .dialogs import Choices, Dialog
from .i18n import _, money
from .theme import COLOURS, SIZES, TOUCH
from .widgets import Keypad, TextLabel, TouchButton, fill

__all__ = ["ManagerDialog", "RefundScreen"]


class ManagerDialog(Dialog):
    """A manager approves a refund: chooses their name and types their PIN."""

    def __init__(self, managers: list[dict[str, Any]], amount: int, on_ok: Any) -> None:
        super().__init__(_("Manager's approval: {amount}").format(amount=money(amount)),
                         size_hint=(0.5, 0.9))  # fmt: skip
        self.tag = "manager"
        options = [(str(m["cashier_id"]), str(m.get("name") or m["cashier_id"])) for m in managers]
        self.who = Choices(options, "manager:who")
        self.box.add_widget(self.who)
        self.keypad = Keypad(tag="mpin", mask=True)
        self.box.add_widget(self.keypad)
        row = BoxLayout(spacing=dp(10), size_hint_y=None, height=dp(TOUCH * 1.3))
        cancel = TouchButton(_("Close"), tag="manager:close")
        cancel.bind(on_release=lambda *_: self.dismiss())
        ok = TouchButton(_("Approve"), tag="manager:ok", colour=list(COLOURS["pay"]))

        def approve(*_args: Any) -> None:
            pin, self.keypad.entry = self.keypad.entry, ""
            self.dismiss()
            on_ok(self.who.value, pin)

        ok.bind(on_release=approve)
        row.add_widget(cancel)
        row.add_widget(ok)
        self.box.add_widget(row)


class RefundScreen(Screen):
    def __init__(self, ctl: TillController, **kw: Any) -> None:
        super().__init__(name="refund", **kw)
        self.ctl = ctl
        self.found: dict[str, Any] | None = None
        self.chosen: dict[int, int] = {}
        self.method = "original"
        self.dialog: ManagerDialog | None = None
        root = BoxLayout(padding=dp(6), spacing=dp(8))
        left = BoxLayout(orientation="vertical", size_hint_x=0.36, spacing=dp(6))
        hint = TextLabel(text=_("Ticket number (till, ticket: 2,118)"),
                         font_size=sp(SIZES["small"]), size_hint_y=None, height=dp(30),
                         color=COLOURS["muted"])  # fmt: skip
        self.keypad = Keypad([(_("Find"), "refund:find", self._find)], tag="rkey")
        back = TouchButton(_("Back to sale"), tag="refund:back", size_hint_y=None,
                           height=dp(SIZES["key"]), colour=list(COLOURS["function"]))  # fmt: skip
        back.bind(on_release=lambda *_: self._back())
        for w in (hint, self.keypad, back):
            left.add_widget(w)
        right = BoxLayout(orientation="vertical", spacing=dp(6))
        self.header = TextLabel(font_size=sp(SIZES["text"]), size_hint_y=None, height=dp(56),
                                color=COLOURS["text"])  # fmt: skip
        self.header.tag = "refund:sale"
        self.header.text = _("Type or scan the ticket of the sale to refund.")
        self.rows = GridLayout(cols=1, spacing=dp(4), size_hint_y=None)
        self.rows.bind(minimum_height=self.rows.setter("height"))
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(self.rows)
        fill(scroll, COLOURS["panel"])
        methods = [("original", _("Original payment")), ("cash", _("Cash")), ("card", _("Card"))]
        self.methods = Choices(methods, "rmethod")
        self.methods.size_hint_y = None
        self.methods.height = dp(SIZES["key"])
        self.ok = TouchButton(
            _("Refund"), tag="refund:ok", size_hint_y=None, height=dp(72),
            colour=list(COLOURS["danger"]), font_size=sp(26), bold=True,
        )  # fmt: skip
        self.ok.bind(on_release=lambda *_: self._refund())
        for w in (self.header, scroll, self.methods, self.ok):
            right.add_widget(w)
        root.add_widget(left)
        root.add_widget(right)
        self.add_widget(root)
        ctl.listeners.append(self.heard)
        self._draw()

    def close(self) -> None:
        if self.heard in self.ctl.listeners:
            self.ctl.listeners.remove(self.heard)

    def _call(self, action: str, **args: Any) -> None:
        till = self.ctl.till
        self.ctl.worker.submit(lambda: till.refund(action, **args))

    def _back(self) -> None:
        self.found, self.chosen = None, {}
        self._draw()
        if self.ctl.view is not None:
            self.ctl.view.show_screen("sale")

    def _find(self, typed: str) -> None:
        if typed.strip():
            self._call("find", ticket=typed)

    def _refund(self, manager: str | None = None, pin: str | None = None) -> None:
        picks = {str(i): q for i, q in self.chosen.items() if q}
        if self.found is None or not picks:
            self.ctl._say(_("Choose at least one line to refund."), "error")
            return
        args: dict[str, Any] = {"lines": picks, "method": self.methods.value or "original"}
        if manager:
            args.update(manager=manager, pin=pin)
        self._call("refund", **args)

    # -- events ------------------------------------------------------------------
    def heard(self, ev: dict[str, Any]) -> None:
        name = ev.get("event")
        if name == "refund_found":
            self.found, self.chosen = ev, {}
            self._draw()
        elif name == "refund_closed":
            self.found, self.chosen = None, {}
            self.ctl._say(
                _("Refunded {amount} ({how}): credit note {seq}.").format(
                    amount=money(int(ev["total"])),
                    how=_("cash") if ev.get("method") == "cash" else _("to the card"),
                    seq=ev["seq"],
                ),
                "info",
            )
            self.ctl._pending_now()
            self._draw()
        elif name == "error" and ev.get("code") == "manager_needed" and self._shown():
            self._ask_manager(int(ev.get("total") or 0))

    def _shown(self) -> bool:
        return self.manager is not None and self.manager.current == self.name

    def _ask_manager(self, amount: int) -> None:
        cat = self.ctl.till.catalogue
        rows = (cat.cashiers if cat is not None else {}).items()
        managers = [{"cashier_id": k, **c} for k, c in rows if c.get("role") == "manager"]
        self.dialog = ManagerDialog(managers, amount, lambda who, pin: self._refund(who, pin))
        self.dialog.open()

    # -- drawing -----------------------------------------------------------------
    def _total(self) -> int:
        lines = (self.found or {}).get("lines") or []
        return sum(refund_amount(lines[i], q) for i, q in self.chosen.items() if q)

    def _draw(self) -> None:
        self.rows.clear_widgets()
        f = self.found
        self.ok.disabled = not any(self.chosen.values())
        self.ok.label = _("Refund {amount}").format(amount=money(self._total()))
        if f is None:
            return
        where = _("from this till's journal") if f.get("source") == "till" else ""
        self.header.text = " · ".join(
            p
            for p in (
                _("Ticket {ticket}").format(ticket=f["ticket"]),
                money(int(f["total"])),
                _("{left} left to refund").format(left=money(int(f["left"]))),
                where,
            )
            if p
        )
        for row in f["lines"]:
            self.rows.add_widget(self._line(row))

    def _line(self, row: dict[str, Any]) -> BoxLayout:
        i = int(row["line"])
        box = BoxLayout(size_hint_y=None, height=dp(SIZES["row"] + 8), spacing=dp(4))
        text = _("{name} · sold {sold}, left {left} · to refund {chosen}").format(
            name=row["name"], sold=row["sold"], left=row["left"], chosen=self.chosen.get(i, 0)
        )
        label = TextLabel(text=text, color=COLOURS["text"], font_size=sp(SIZES["small"]))
        label.tag = f"rline:{i}"
        minus = TouchButton("-", tag=f"rminus:{i}", size_hint_x=None, width=dp(TOUCH))
        plus = TouchButton("+", tag=f"rplus:{i}", size_hint_x=None, width=dp(TOUCH))
        minus.bind(on_release=lambda *_: self._step(i, -1))
        plus.bind(on_release=lambda *_: self._step(i, +1))
        plus.disabled = self.chosen.get(i, 0) >= int(row["left"])
        for w in (label, minus, plus):
            box.add_widget(w)
        return box

    def _step(self, i: int, by: int) -> None:
        left = int(self.found["lines"][i]["left"]) if self.found else 0
        self.chosen[i] = max(0, min(left, self.chosen.get(i, 0) + by))
        self._draw()
