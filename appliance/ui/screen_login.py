"""The cashier login: a PIN pad, and the cashiers to choose from."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView

from .controller import TillController
from .i18n import _
from .theme import COLOURS, SIZES, TOUCH
from .widgets import Keypad, TextLabel, TouchButton

__all__ = ["LoginScreen"]


class LoginScreen(Screen):
    """Choose your name, type your PIN."""

    def __init__(self, ctl: TillController, **kw: Any) -> None:
        super().__init__(name="login", **kw)
        self.ctl = ctl
        self.chosen: str | None = None
        root = BoxLayout(padding=dp(24), spacing=dp(24))
        left = BoxLayout(orientation="vertical", spacing=dp(10))
        self.title = TextLabel(font_size=sp(30), bold=True, size_hint_y=None, height=dp(60))
        self.hint = TextLabel(font_size=sp(SIZES["text"]), size_hint_y=None, height=dp(60))
        self.hint.tag = "login:hint"
        self.cashiers = GridLayout(cols=2, spacing=dp(10), size_hint_y=None)
        self.cashiers.bind(minimum_height=self.cashiers.setter("height"))
        scroll = ScrollView()
        scroll.add_widget(self.cashiers)
        self.lang = TouchButton(
            _("Français / English"), tag="lang", size_hint_y=None, height=dp(TOUCH)
        )
        self.lang.bind(on_release=lambda *_args: self.ctl.view and self.ctl.view.switch_language())
        for w in (self.title, self.hint, scroll, self.lang):
            left.add_widget(w)
        self.pad = Keypad([(_("OK"), "login:ok", self._ok)], tag="pin", mask=True, size_hint_x=0.45)
        self.pad.hint = _("PIN")
        root.add_widget(left)
        root.add_widget(self.pad)
        self.add_widget(root)
        self._listed: list[str] = []

    def _pin_only(self) -> bool:
        rules = getattr(self.ctl.till.catalogue, "rules", None) or {}
        return rules.get("pin_only_login") is True

    def _ok(self, pin: str) -> None:
        if self.chosen is None and not self._pin_only():
            self.ctl._say(_("Touch your name first."), "error")
            return
        if not pin:
            self.ctl._say(_("Type your PIN."), "error")
            return
        self.ctl.login(self.chosen or "", pin)

    def choose(self, cashier_id: str) -> None:
        self.chosen = cashier_id
        self.pad.entry = ""
        self._paint()

    def _paint(self) -> None:
        for b in self.cashiers.children:
            chosen = b.tag == f"cashier:{self.chosen}"
            b.colour = list(COLOURS["function"] if chosen else COLOURS["key"])

    def refresh(self, what: str) -> None:
        st = self.ctl.state
        cat = self.ctl.till.catalogue
        store = (getattr(cat, "store", None) or {}) if cat is not None else {}
        self.title.text = str(store.get("name") or _("Till"))
        if cat is None:
            self.hint.text = (
                _("Starting…") if not st.started else _("Looking for the store server…")
            )
        elif st.mode in ("BOOT", "DISCOVERING"):
            self.hint.text = _("Looking for the store server… You can log in.")
        elif self._pin_only():
            self.hint.text = _("Type your PIN (or touch your name first).")
        else:
            self.hint.text = _("Touch your name, then type your PIN.")
        people = sorted((cat.cashiers if cat is not None else {}).items())
        ids = [cid for cid, _row in people]
        if ids != self._listed:
            self._listed = ids
            self.cashiers.clear_widgets()
            for cid, row in people:
                b = TouchButton(
                    str(row.get("name") or cid),
                    tag=f"cashier:{cid}",
                    size_hint_y=None,
                    height=dp(TOUCH * 1.4),
                )
                b.bind(on_release=lambda _b, c=cid: self.choose(c))
                self.cashiers.add_widget(b)
            if len(ids) == 1:
                self.chosen = ids[0]
            self._paint()
        if what == "reset":
            self.pad.entry = ""
