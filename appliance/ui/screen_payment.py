"""The payment screen: what is due, how it is paid; then the change, large."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from .controller import TillController
from .dialogs import method_name
from .i18n import _, label_value, money, parse_amount
from .theme import COLOURS, SIZES, TOUCH, rgba
from .widgets import Keypad, TextLabel, TouchButton, fill

__all__ = ["PaymentScreen"]

#: quick cash on the payment screen: notes and coins, in cents
NOTES = (500, 1000, 2000, 5000, 10000)
COINS = (100, 200)


class PaymentScreen(Screen):
    """What is due, how it is paid; then the change, large."""

    def __init__(self, ctl: TillController, **kw: Any) -> None:
        super().__init__(name="payment", **kw)
        self.ctl = ctl
        root = BoxLayout(padding=dp(10), spacing=dp(10))
        root.add_widget(self._summary())
        middle = BoxLayout(orientation="vertical", spacing=dp(6), size_hint_x=0.3)
        self.keypad = Keypad(tag="paykey")
        self.keypad.hint = _("Amount given")
        self.exact = exact = TouchButton(
            _("Exact amount in cash"),
            tag="pay:exact",
            colour=list(COLOURS["pay"]),
            font_size=sp(22),
            size_hint_y=None,
            height=dp(SIZES["key"] * 1.3),
        )
        exact.bind(on_release=lambda *_: self._cash())
        middle.add_widget(self.keypad)
        middle.add_widget(exact)
        root.add_widget(middle)
        root.add_widget(self._methods())
        self.add_widget(root)
        #: the payments of the sale being paid, and the method touched last: once it is
        #: closed, a sale paid by card shows no change
        self._open_payments: list[dict[str, Any]] = []
        self._last_method: str | None = None

    def _summary(self) -> BoxLayout:
        box = BoxLayout(orientation="vertical", spacing=dp(8), size_hint_x=0.36, padding=dp(10))
        fill(box, COLOURS["panel"])
        self.total = TextLabel(font_size=sp(28), size_hint_y=None, height=dp(50))
        self.paid = TextLabel(font_size=sp(22), size_hint_y=None, height=dp(40))
        self.payments = TextLabel(font_size=sp(SIZES["text"]), valign="top")
        #: each payment line taken, with a button that takes it off
        self.payment_rows = BoxLayout(orientation="vertical", spacing=dp(4), size_hint_y=None)
        self.payment_rows.bind(minimum_height=self.payment_rows.setter("height"))
        self.due_label = TextLabel(font_size=sp(24), bold=True, size_hint_y=None, height=dp(40))
        self.due_label.tag = "pay:due_label"
        self.due = TextLabel(
            font_size=sp(SIZES["change"]), bold=True, size_hint_y=None, height=dp(96)
        )
        self.due.tag = "pay:due"
        self.next = TouchButton(
            _("New sale"),
            tag="pay:new_sale",
            colour=list(COLOURS["pay"]),
            font_size=sp(26),
            size_hint_y=None,
            height=dp(72),
        )
        self.next.bind(on_release=lambda *_: self._new_sale())
        for w in (self.total, self.paid, self.payments, self.payment_rows, self.due_label,
                  self.due, self.next):  # fmt: skip
            box.add_widget(w)
        return box

    def _methods(self) -> GridLayout:
        grid = GridLayout(cols=2, spacing=dp(6), size_hint_x=0.34)
        self.method_buttons: list[TouchButton] = []
        for cents in NOTES + COINS:
            b = TouchButton(
                money(cents),
                tag=f"cash:{cents}",
                colour=list(rgba("#6b8f71" if cents >= 500 else "#b08d57")),
                font_size=sp(22),
            )
            b.bind(on_release=lambda _b, c=cents: self._cash(c))
            self.method_buttons.append(b)
            grid.add_widget(b)
        grid.add_widget(Widget())
        for method in ("cash", "card", "cheque", "meal_voucher"):
            b = TouchButton(
                method_name(method), tag=f"pay:{method}", colour=list(COLOURS["function"])
            )
            b.bind(on_release=lambda _b, m=method: self._method(m))
            self.method_buttons.append(b)
            grid.add_widget(b)
        back = TouchButton(_("Back to the sale"), tag="pay:back")
        back.bind(on_release=lambda *_: setattr(self.manager, "current", "sale"))
        grid.add_widget(back)
        grid.add_widget(Widget(size_hint_min=(dp(TOUCH), dp(TOUCH))))
        return grid

    def _method(self, method: str) -> None:
        """The amount typed, or what is due when nothing was typed."""
        self._last_method = method
        typed, self.keypad.entry = self.keypad.entry, ""
        if not typed:
            self.ctl.pay(method)
            return
        try:
            amount = parse_amount(typed)
        except ValueError:
            self.ctl._say(_("That amount cannot be taken."), "error")
            return
        self.ctl.pay(method, amount)

    def _cash(self, cents: int | None = None) -> None:
        self._last_method = "cash"
        self.ctl.pay("cash", cents)

    def _payment_rows(self, payments: list[dict[str, Any]]) -> None:
        self.payment_rows.clear_widgets()
        for i, p in enumerate(payments):
            row = BoxLayout(spacing=dp(6), size_hint_y=None, height=dp(TOUCH))
            text = TextLabel(text=label_value(method_name(p["method"]), money(int(p["amount"]))))
            text.tag = f"payment:{i}"
            row.add_widget(text)
            off = TouchButton(_("Remove"), tag=f"payment:remove:{i}", size_hint_x=0.4,
                              colour=list(COLOURS["danger"]))  # fmt: skip
            off.bind(on_release=lambda _b, n=i: self.ctl.remove_payment(n))
            row.add_widget(off)
            self.payment_rows.add_widget(row)

    def _new_sale(self) -> None:
        self.ctl.state.last_closed = None
        self.manager.current = "sale"
        self.refresh("payment")

    def refresh(self, what: str) -> None:
        if what not in ("payment", "all"):
            return
        st = self.ctl.state
        closed = st.last_closed
        if closed is not None:
            change = int(closed.get("change") or 0)
            self.total.text = _("Total: {amount}").format(amount=money(int(closed["total"])))
            self.paid.text = _("Sale no. {seq} recorded").format(seq=closed.get("seq"))
            excess = int(closed.get("voucher_excess") or 0)
            self.payments.text = (
                _("Meal voucher above the total (no change): {amount}").format(amount=money(excess))
                if excess
                else ""
            )
            methods = [p["method"] for p in self._open_payments]
            last = getattr(self, "_last_method", None)
            methods += [last] if last else []
            if change or "cash" in methods or not methods:
                self.due_label.text = _("Change due")
                self.due.text = money(change)
            else:  # paid by card, cheque or voucher: no change to give
                self.due_label.text = _("Paid by")
                self.due.text = ", ".join(method_name(m) for m in dict.fromkeys(methods))
            self.due.color = COLOURS["ok"]
            self.next.opacity, self.next.disabled = 1, False
            for b in (*self.method_buttons, self.keypad, self.exact):
                b.disabled = True
            self.keypad.entry = ""
            self.payment_rows.clear_widgets()
            return
        sale = st.sale
        self._open_payments = list(sale.get("payments") or [])
        if not self._open_payments:
            self._last_method = None
        self.total.text = _("Total: {amount}").format(amount=money(int(sale.get("total") or 0)))
        self.paid.text = _("Paid: {amount}").format(amount=money(int(sale.get("paid") or 0)))
        self.payments.text = ""
        self._payment_rows(sale.get("payments") or [])
        self.due_label.text = _("Due")
        self.due.text = money(int(sale.get("due") or 0))
        self.due.color = COLOURS["warning"]
        self.next.opacity, self.next.disabled = 0, True
        for b in (*self.method_buttons, self.keypad, self.exact):
            b.disabled = False
