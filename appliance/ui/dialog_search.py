"""The price check: an article looked up by name or barcode without selling it, from
the sale screen; a result touched is rung up like a product button.

Each change of the text asks the till core's `price_check` (till/search.py) on the
controller's worker; the results come back as the `price_check` event, heard as a
listener of the controller (only the answer to the text shown is drawn).
"""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView

from .controller import TillController
from .dialogs import Dialog, _field
from .i18n import _, money, ngettext
from .theme import COLOURS, SIZES, TOUCH
from .widgets import TextLabel, TouchButton

__all__ = ["SearchDialog"]


class SearchDialog(Dialog):
    def __init__(self, ctl: TillController) -> None:
        super().__init__(_("Price check"), size_hint=(0.7, 0.9))
        self.tag = "search"
        self.ctl = ctl
        self.field = _field(_("Name or barcode"), "search:input")
        self.field.bind(text=lambda _w, text: self._ask(text))
        self.box.add_widget(self.field)
        self.info = TextLabel(color=COLOURS["muted"], size_hint_y=None, height=dp(30),
                              font_size=sp(SIZES["small"]))  # fmt: skip
        self.info.tag = "search:info"
        self.box.add_widget(self.info)
        self.rows = GridLayout(cols=1, spacing=dp(4), size_hint_y=None)
        self.rows.bind(minimum_height=self.rows.setter("height"))
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(self.rows)
        self.box.add_widget(scroll)
        close = TouchButton(_("Close"), tag="search:close", size_hint_y=None,
                            height=dp(TOUCH * 1.3))  # fmt: skip
        close.bind(on_release=lambda *_: self.dismiss())
        self.box.add_widget(close)
        ctl.listeners.append(self.heard)
        self.bind(on_dismiss=lambda *_: self._gone())

    def open(self, *args: Any, **kw: Any) -> None:
        super().open(*args, **kw)
        self.field.focus = True

    def _gone(self) -> None:
        if self.heard in self.ctl.listeners:
            self.ctl.listeners.remove(self.heard)

    def _ask(self, text: str) -> None:
        till = self.ctl.till
        self.ctl.worker.submit(lambda: till.price_check(text))

    def heard(self, ev: dict[str, Any]) -> None:
        if ev.get("event") != "price_check" or ev.get("query") != self.field.text.strip():
            return
        articles = ev.get("articles") or []
        self.rows.clear_widgets()
        if not ev.get("query"):
            self.info.text = ""
            return
        self.info.text = (
            ngettext("{n} article", "{n} articles", len(articles)).format(n=len(articles))
            if articles
            else _("No article matches.")
        )
        for a in articles:
            self.rows.add_widget(self._row(a))

    def _row(self, a: dict[str, Any]) -> BoxLayout:
        box = BoxLayout(size_hint_y=None, height=dp(SIZES["row"] + 8), spacing=dp(6))
        codes = ", ".join(a.get("barcodes") or [])
        label = TextLabel(text=f"{a['name']}\n{codes}", color=COLOURS["text"],
                          font_size=sp(SIZES["small"]))  # fmt: skip
        label.tag = f"found:{a['article_id']}"
        price = TextLabel(text=money(int(a["price"])), bold=True, halign="right",
                          size_hint_x=0.25, color=COLOURS["text"])  # fmt: skip
        price.tag = f"found_price:{a['article_id']}"
        add = TouchButton(_("Sell"), tag=f"found_add:{a['article_id']}", size_hint_x=0.2,
                          colour=list(COLOURS["pay"]))  # fmt: skip
        add.bind(on_release=lambda *_: self._sell(str(a["article_id"])))
        for w in (label, price, add):
            box.add_widget(w)
        return box

    def _sell(self, article_id: str) -> None:
        self.dismiss()
        self.ctl.add(article_id)
