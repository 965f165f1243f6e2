"""The manager's approval at the till: who approves (the store's managers listed) and
their PIN on a keypad; the question before a sale is cancelled; and what the card
terminal answered (the store's card confirmation step)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from appliance.domain.approval import MANAGER_ROLES

from .dialogs import Dialog
from .i18n import N_, _, money
from .theme import COLOURS, TOUCH
from .widgets import Keypad, TextLabel, TouchButton

__all__ = ["ACTION_TEXTS", "CancelDialog", "CardDialog", "ManagerDialog", "managers"]

ACTION_TEXTS = {
    "discount": N_("This discount needs a manager."),
    "price": N_("This price cut needs a manager."),
    "void": N_("Voiding this line needs a manager."),
    "cancel": N_("Cancelling this sale needs a manager."),
}


def managers(catalogue: Any) -> list[tuple[str, str]]:
    """(id, name) of the store's managers, from the snapshot."""
    rows = getattr(catalogue, "cashiers", None) or {}
    return [
        (str(cid), str(row.get("name") or cid))
        for cid, row in sorted(rows.items())
        if str(row.get("role") or "") in MANAGER_ROLES
    ]


class ManagerDialog(Dialog):
    """A manager touches their name and types their PIN; `on_approve(id, pin)`."""

    def __init__(self, action: str, catalogue: Any, on_approve: Callable[[str, str], Any]) -> None:
        super().__init__(_("Manager approval"), size_hint=(0.75, 0.9))
        self.tag = "manager"
        self.chosen: str | None = None
        why = TextLabel(
            text=_(ACTION_TEXTS.get(action, ACTION_TEXTS["discount"])),
            font_size=sp(22), color=COLOURS["text"], size_hint_y=None, height=dp(40),
        )  # fmt: skip
        why.tag = "manager:why"
        self.box.add_widget(why)
        body = BoxLayout(spacing=dp(12))
        names = GridLayout(cols=1, spacing=dp(8), size_hint_x=0.45)
        self.buttons: dict[str, TouchButton] = {}
        for mid, name in managers(catalogue):
            b = TouchButton(name, tag=f"manager:{mid}", size_hint_y=None, height=dp(TOUCH))
            b.bind(on_release=lambda _b, m=mid: self.choose(m))
            self.buttons[mid] = b
            names.add_widget(b)
        body.add_widget(names)
        self.pad = Keypad(tag="mpin", mask=True)
        self.pad.hint = _("PIN")
        body.add_widget(self.pad)
        self.box.add_widget(body)
        self.error = TextLabel(color=COLOURS["bad"], size_hint_y=None, height=dp(30))
        self.error.tag = "manager:error"
        self.box.add_widget(self.error)
        row = BoxLayout(spacing=dp(10), size_hint_y=None, height=dp(TOUCH * 1.3))
        close = TouchButton(_("Close"), tag="manager:close")
        close.bind(on_release=lambda *_: self.dismiss())
        ok = TouchButton(_("Approve"), tag="manager:ok", colour=list(COLOURS["pay"]))
        row.add_widget(close)
        row.add_widget(ok)
        self.box.add_widget(row)

        def approve(*_args: Any) -> None:
            if self.chosen is None:
                self.error.text = _("Touch the manager's name first.")
                return
            if not self.pad.entry:
                self.error.text = _("Type your PIN.")
                return
            pin, self.pad.entry = self.pad.entry, ""
            self.dismiss()
            on_approve(self.chosen, pin)

        ok.bind(on_release=approve)

    def choose(self, manager_id: str) -> None:
        self.chosen = manager_id
        for mid, b in self.buttons.items():
            b.colour = list(COLOURS["function"] if mid == manager_id else COLOURS["key"])


class CancelDialog(Dialog):
    """ "Cancel this sale?": the lines go, a payment taken is given back."""

    def __init__(self, text: str, on_yes: Callable[[], Any]) -> None:
        super().__init__(_("Cancel the sale?"), size_hint=(0.6, 0.5))
        self.tag = "cancel"
        say = TextLabel(text=text, font_size=sp(22), color=COLOURS["text"], halign="center")
        say.tag = "cancel:text"
        self.box.add_widget(say)
        row = BoxLayout(spacing=dp(10), size_hint_y=None, height=dp(TOUCH * 1.3))
        no = TouchButton(_("No, keep it"), tag="cancel:no")
        no.bind(on_release=lambda *_: self.dismiss())
        yes = TouchButton(_("Yes, cancel"), tag="cancel:yes", colour=list(COLOURS["danger"]))
        yes.bind(on_release=lambda *_: (self.dismiss(), on_yes()))
        row.add_widget(no)
        row.add_widget(yes)
        self.box.add_widget(row)


class CardDialog(Dialog):
    """ "What did the terminal say?": accepted closes the payment, refused takes nothing."""

    def __init__(self, amount: int, on_answer: Callable[[bool], Any]) -> None:
        super().__init__(_("Card payment"), size_hint=(0.6, 0.5))
        self.tag = "card"
        say = TextLabel(
            text=_("Type {amount} on the card terminal. What does it say?").format(
                amount=money(amount)
            ),
            font_size=sp(22), color=COLOURS["text"], halign="center",
        )  # fmt: skip
        say.tag = "card:text"
        self.box.add_widget(say)
        row = BoxLayout(spacing=dp(10), size_hint_y=None, height=dp(TOUCH * 1.4))
        no = TouchButton(_("Refused"), tag="card:refused", colour=list(COLOURS["danger"]))
        no.bind(on_release=lambda *_: (self.dismiss(), on_answer(False)))
        yes = TouchButton(_("Accepted"), tag="card:accepted", colour=list(COLOURS["pay"]))
        yes.bind(on_release=lambda *_: (self.dismiss(), on_answer(True)))
        row.add_widget(no)
        row.add_widget(yes)
        self.box.add_widget(row)
