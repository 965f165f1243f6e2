"""The held orders' dialog: hold the sale on screen, or take a held one back.

It speaks to the till core's `hold(action, ...)` (till/held.py) on the controller's
worker, and lists what `held_orders` says, heard as a listener of the controller.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView

from .controller import TillController
from .dialogs import Dialog
from .i18n import _, money, ngettext
from .theme import COLOURS, SIZES, TOUCH
from .widgets import TextLabel, TouchButton

__all__ = ["HeldDialog"]


class HeldDialog(Dialog):
    def __init__(self, ctl: TillController) -> None:
        super().__init__(_("Held orders"), size_hint=(0.6, 0.85))
        self.tag = "held"
        self.ctl = ctl
        park = TouchButton(_("Hold this sale"), tag="held:park", size_hint_y=None,
                           height=dp(SIZES["key"]), colour=list(COLOURS["function"]))  # fmt: skip
        park.disabled = not (ctl.state.sale or {}).get("lines")
        park.bind(on_release=lambda *_: self._call("park"))
        self.box.add_widget(park)
        self.empty = TextLabel(text=_("No order is held on this till."), color=COLOURS["muted"],
                               size_hint_y=None, height=dp(36))  # fmt: skip
        self.rows = GridLayout(cols=1, spacing=dp(4), size_hint_y=None)
        self.rows.bind(minimum_height=self.rows.setter("height"))
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(self.rows)
        self.box.add_widget(self.empty)
        self.box.add_widget(scroll)
        close = TouchButton(_("Close"), tag="held:close", size_hint_y=None,
                            height=dp(TOUCH * 1.3))  # fmt: skip
        close.bind(on_release=lambda *_: self.dismiss())
        self.box.add_widget(close)
        ctl.listeners.append(self.heard)
        self.bind(on_dismiss=lambda *_: self._gone())
        self._call("list")

    def _gone(self) -> None:
        if self.heard in self.ctl.listeners:
            self.ctl.listeners.remove(self.heard)

    def _call(self, action: str, **args: Any) -> None:
        till = self.ctl.till
        self.ctl.worker.submit(lambda: till.hold(action, **args))

    def heard(self, ev: dict[str, Any]) -> None:
        name = ev.get("event")
        if name == "held_orders":
            self._draw(ev.get("orders") or [])
        elif name == "sale_held":
            self.ctl._say(_("Sale held: serve the next customer."))
            self.dismiss()
        elif name == "sale_resumed":
            self.ctl._say(_("Held order taken back."))
            self.dismiss()

    def _draw(self, orders: list[dict[str, Any]]) -> None:
        self.rows.clear_widgets()
        self.empty.opacity = 0 if orders else 1
        for o in orders:
            when = datetime.fromisoformat(str(o["held_at"])).astimezone()
            count = ngettext("{n} article", "{n} articles", int(o["count"])).format(n=o["count"])
            parts = [f"{when:%H:%M}", count, money(int(o["total"]))]
            if o.get("note"):
                parts.append(str(o["note"]))
            text = " · ".join(parts) + "\n" + ", ".join(o.get("names") or [])
            b = TouchButton(text, tag=f"held:{o['held_id']}", size_hint_y=None,
                            height=dp(SIZES["row"] + 24), font_size=sp(SIZES["small"]))  # fmt: skip
            b.bind(on_release=lambda _b, hid=o["held_id"]: self._call("resume", held_id=hid))
            self.rows.add_widget(b)
