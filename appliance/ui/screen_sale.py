"""The sale screen: the ticket on one side, the product pages and functions on the other."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView

from .controller import TillController
from .dialog_cash import CashDialog
from .dialog_held import HeldDialog
from .dialog_search import SearchDialog
from .dialogs import DiscountDialog
from .i18n import _, money, ngettext, percent
from .keys import TypedCode
from .labels import ProductButton
from .pages import placed_page
from .screen_tables import has_floor_plan
from .theme import COLOURS, SIZES, TOUCH, rgba
from .widgets import Keypad, TextLabel, TicketView, TouchButton, fill

__all__ = ["SaleScreen"]

#: page tabs on one row up to this many, then on two
TABS_A_ROW = 6
#: a keyboard-wedge scanner on the sale screen: at least this many digits, each within
#: WEDGE_GAP_S of the one before, then Enter (a scanner types a code in a few ms a key;
#: a hand on a keyboard is slower, and its keys are left alone)
WEDGE_GAP_S = 0.2
WEDGE_MIN_DIGITS = 4


class SaleScreen(Screen):
    """The ticket on the left, the catalogue's pages on the right, the keypad below."""

    def __init__(self, ctl: TillController, **kw: Any) -> None:
        super().__init__(name="sale", **kw)
        self.ctl = ctl
        self.page = 0
        root = BoxLayout(padding=dp(6), spacing=dp(6))
        root.add_widget(self._ticket_side())
        root.add_widget(self._catalogue_side())
        self.add_widget(root)
        self._pages_version: Any = object()
        self.typed = TypedCode(WEDGE_GAP_S, min_digits=WEDGE_MIN_DIGITS)

    def typed_key(self, key: int, codepoint: str | None) -> bool:
        """A key of the physical keyboard (`keys.key_router`): a code a keyboard-wedge
        scanner types (digits then Enter, fast) is rung up as a scan, on this screen,
        with no dialog open; any other key is left alone."""
        window = self.get_root_window()  # None when another screen is shown
        if (
            window is None
            or self.ctl.state.cashier is None
            or any(isinstance(w, ModalView) for w in window.children)
        ):
            self.typed.reset()
            return False
        taken, code = self.typed.key(key, codepoint)
        if code is not None:
            self.ctl.scan(code)
        return taken

    # -- left: the ticket ----------------------------------------------------------
    def _ticket_side(self) -> BoxLayout:
        side = BoxLayout(orientation="vertical", spacing=dp(4), size_hint_x=0.39)
        self.header = TextLabel(
            font_size=sp(SIZES["small"]), size_hint_y=None, height=dp(30), color=COLOURS["muted"]
        )
        self.header.tag = "sale:header"
        self.ticket = TicketView(self.ctl.select)
        self.discount_line = TextLabel(
            font_size=sp(SIZES["text"]), size_hint_y=None, height=0, color=COLOURS["text"]
        )
        totals = BoxLayout(size_hint_y=None, height=dp(78), padding=(dp(8), 0))
        fill(totals, COLOURS["panel"])
        label = TextLabel(text=_("TOTAL"), font_size=sp(22), bold=True, size_hint_x=0.35)
        label.shorten = True
        self.total = TextLabel(font_size=sp(SIZES["total"]), bold=True, halign="right")
        self.total.tag = "sale:total"
        totals.add_widget(label)
        totals.add_widget(self.total)
        actions = GridLayout(cols=4, spacing=dp(4), size_hint_y=None, height=dp(SIZES["key"]))
        self.void = TouchButton(_("Void line"), tag="sale:void", colour=list(COLOURS["danger"]))
        self.void.bind(on_release=lambda *_: self.ctl.void())
        line_disc = TouchButton(_("Line discount"), tag="sale:line_discount")
        line_disc.bind(on_release=lambda *_: self._discount(line=True))
        sale_disc = TouchButton(_("Sale discount"), tag="sale:sale_discount")
        sale_disc.bind(on_release=lambda *_: self._discount(line=False))
        cancel = TouchButton(_("Cancel sale"), tag="sale:cancel", colour=list(COLOURS["danger"]))
        cancel.bind(on_release=lambda *_: self.ctl.cancel())
        for b in (self.void, line_disc, sale_disc, cancel):
            b.font_size = sp(16)
            actions.add_widget(b)
        self.pay = TouchButton(
            _("Pay"),
            tag="sale:pay",
            colour=list(COLOURS["pay"]),
            font_size=sp(28),
            bold=True,
            size_hint_y=None,
            height=dp(72),
        )
        self.pay.bind(on_release=lambda *_: self._pay())
        # taken away or eaten in: each line's VAT follows (the store's eat-in rates)
        self.where = GridLayout(cols=2, spacing=dp(4), size_hint_y=None, height=0)
        self.where_buttons: dict[bool, TouchButton] = {}
        for inside, text, tag in ((False, _("Take away"), "sale:take_away"),
                                  (True, _("Eat in"), "sale:eat_in")):  # fmt: skip
            b = TouchButton(text, tag=tag, font_size=sp(16))
            b.bind(on_release=lambda _b, i=inside: self.ctl.set_eat_in(i))
            self.where_buttons[inside] = b
            self.where.add_widget(b)
        for w in (self.header, self.ticket, self.discount_line, totals, self.where, actions,
                  self.pay):  # fmt: skip
            side.add_widget(w)
        return side

    def _where(self, sale: dict[str, Any]) -> None:
        """The take-away / eat-in switch, for a store with eat-in rates."""
        rules = getattr(self.ctl.till.catalogue, "rules", None) or {}
        shown = bool(rules.get("eat_in_vat"))
        self.where.height = dp(TOUCH) if shown else 0
        self.where.opacity = 1 if shown else 0
        inside = bool(sale.get("eat_in"))
        for i, b in self.where_buttons.items():
            b.disabled = not shown
            b.colour = list(COLOURS["function"] if i == inside else COLOURS["key"])

    def _discount(self, *, line: bool) -> None:
        st = self.ctl.state
        if line:
            if st.selected is None:
                self.ctl._say(_("Touch a line of the ticket first."), "error")
                return
            name = st.sale["lines"][st.selected]["name"]
            title = _("Discount on: {name}").format(name=name)
        else:
            title = _("Discount on the whole sale")
        DiscountDialog(
            title, lambda cents, percent: self.ctl.discount(line=line, cents=cents, percent=percent)
        ).open()

    def _pay(self) -> None:
        if not self.ctl.state.sale.get("lines"):
            self.ctl._say(_("The ticket is empty."), "error")
            return
        self.manager.current = "payment"

    # -- right: pages of products, keypad, functions ---------------------------------
    def _catalogue_side(self) -> BoxLayout:
        side = BoxLayout(orientation="vertical", spacing=dp(6), size_hint_x=0.61)
        # every page's tab in sight (two rows past TABS_A_ROW), never scrolled away
        self.tabs = GridLayout(rows=1, spacing=dp(4), size_hint_y=None, height=dp(SIZES["tab"]))
        self.grid_scroll = grid_scroll = ScrollView(
            bar_width=dp(8), scroll_type=["bars", "content"]
        )
        self.grid = GridLayout(
            cols=5,
            spacing=dp(4),
            size_hint_y=None,
            row_default_height=dp(SIZES["product"]),
            row_force_default=True,
        )
        self.grid.bind(minimum_height=self.grid.setter("height"))
        grid_scroll.add_widget(self.grid)
        bottom = BoxLayout(spacing=dp(6), size_hint_y=None, height=dp(SIZES["key"] * 5 + 16))
        self.keypad = Keypad(
            [
                (_("× Qty"), "key:quantity", self.ctl.set_quantity),
                (_("Enter code"), "key:code", self.ctl.scan),
                (_("Price"), "key:price", self.ctl.set_price),
            ],
            tag="key",
            size_hint_x=0.5,
        )
        self.keypad.hint = _("Quantity or barcode")
        functions = GridLayout(cols=3, spacing=dp(4), size_hint_x=0.5)
        self.functions: dict[str, TouchButton] = {}
        for tag, label, call in (
            ("fn:kitchen", _("Send to kitchen"), self._kitchen),
            ("fn:tables", _("Tables"), self._tables),
            ("fn:refund", _("Refund"), self._refund),
            ("fn:held", _("Held orders"), self._held),
            ("fn:search", _("Price check"), lambda: SearchDialog(self.ctl).open()),
            ("fn:reprint", _("Reprint receipt"), self.ctl.reprint_last),
            ("fn:xreport", _("X report"), self.ctl.request_x_report),
            ("fn:drawer", _("Open drawer"), self.ctl.open_drawer),
            ("fn:cash", _("Cash control"), self._cash),
            ("fn:article", _("New article"), self._article),
            ("fn:upload", _("Send sales"), self.ctl.upload),
            ("fn:logout", _("Log out"), self.ctl.logout),
        ):
            b = TouchButton(label, tag=tag, colour=list(COLOURS["function"]),
                            font_size=sp(SIZES["small"]))  # fmt: skip
            b.bind(on_release=lambda _b, c=call: c())
            self.functions[tag] = b
            functions.add_widget(b)
        bottom.add_widget(self.keypad)
        bottom.add_widget(functions)
        for w in (self.tabs, grid_scroll, bottom):
            side.add_widget(w)
        return side

    def _kitchen(self) -> None:
        view = self.ctl.view
        if view is not None:
            view.kitchen_dialog()

    def _held(self) -> None:
        HeldDialog(self.ctl).open()

    def _cash(self) -> None:
        CashDialog(self.ctl).open()

    def _refund(self) -> None:
        if self.ctl.view is not None:
            self.ctl.view.show_screen("refund")

    def _tables(self) -> None:
        if self.ctl.view is not None:
            self.ctl.view.show_screen("tables")

    def _article(self) -> None:
        view = self.ctl.view
        if view is not None:
            view.article_dialog()

    # -- drawing -----------------------------------------------------------------
    def refresh(self, what: str) -> None:
        if what in ("catalogue", "all"):
            self._pages()
        if what in ("sale", "all", "catalogue"):
            self._sale()
        if what in ("functions", "status", "all"):
            self._functions()
            self._header()

    def _sale(self) -> None:
        st = self.ctl.state
        sale = st.sale
        rows = []
        for ln in sale.get("lines") or []:
            disc = int(ln.get("discount") or 0)
            detail = [_("discount −{amount}").format(amount=money(disc))] if disc else []
            sent = min(int(ln.get("kitchen_sent") or 0), int(ln["quantity"]))
            if sent:
                part = ngettext("{n} sent", "{n} sent", sent).format(n=sent)
                detail.append(_("sent") if sent == ln["quantity"] else part)
            if ln.get("own_vat_bp") is not None:  # eaten in at another rate
                detail.append(_("VAT {rate} eaten in").format(rate=percent(int(ln["vat_bp"]))))
            rows.append(
                {
                    "line_index": int(ln["index"]),
                    "qty": f"{ln['quantity']} ×",
                    "label": str(ln["name"]),
                    "detail": " · ".join(detail),
                    "unit": money(int(ln["unit_price"])),
                    "total": money(int(ln["gross"])),
                    "selected": st.selected == ln["index"],
                    "provisional": False,
                }
            )
        for i, row in enumerate(st.provisional.values()):
            rows.append(
                {
                    "qty": row["qty"],
                    "label": row["label"],
                    "detail": row["detail"],
                    "unit": row["unit"],
                    "total": row["total"],
                    "line_index": -1 - i,
                    "selected": False,
                    "provisional": True,
                }
            )
        self.ticket.show(rows, follow=True)  # a line added in sight, the chosen one kept
        sd = int(sale.get("sale_discount") or 0)
        self.discount_line.text = (
            _("Sale discount −{amount}").format(amount=money(sd)) if sd else ""
        )
        self.discount_line.height = dp(30) if sd else 0
        self.total.text = money(int(sale.get("total") or 0))
        self._where(sale)
        self.pay.label = _("Pay {amount}").format(amount=money(int(sale.get("due") or 0)))
        # the lines on screen, the waiting ones too: the count does not change again
        # (and render again) when the core confirms a line
        self._lines_shown = len(rows)
        self._header()

    def _header(self) -> None:
        """Who is at the till (the cashier logged in now), how many lines, the next ×."""
        st = self.ctl.state
        n = getattr(self, "_lines_shown", 0)
        who = (st.cashier or {}).get("name", "")
        self.header.text = " · ".join(
            x
            for x in (
                who,
                ngettext("{n} line", "{n} lines", n).format(n=n) if n else "",
                _("next: {n} ×").format(n=st.next_quantity) if st.next_quantity else "",
            )
            if x
        )

    def _functions(self) -> None:
        st = self.ctl.state
        f = self.functions
        article = f["fn:article"]
        # autonomous after "later", the server answering: what needs it, not the upload
        reaches = not st.autonomous or st.server_back
        if not reaches:
            article.disabled = True
            article.reason = _("New article: not in autonomous mode")
        elif not st.is_manager:
            article.disabled = True
            article.reason = _("New article: managers only")
        elif st.mode not in ("ONLINE", "SYNCING") and not st.server_back:
            article.disabled = True
            article.reason = _("New article: needs the store server")
        else:
            article.disabled = False
        drawer = f["fn:drawer"]
        drawer.disabled = not st.is_manager
        drawer.reason = _("Open drawer: managers only")
        kitchen = f["fn:kitchen"]
        cat = self.ctl.till.catalogue
        printers = (getattr(cat, "printers", None) or []) if cat is not None else []
        restaurant = any(p.get("kind") in ("kitchen", "bar") for p in printers)
        kitchen.opacity = 1 if restaurant else 0
        kitchen.disabled = (not restaurant) or not reaches
        kitchen.reason = _("Kitchen: out of reach in autonomous mode") if restaurant else ""
        tables = f["fn:tables"]  # a restaurant's floor plan (screen_tables.py)
        tables.opacity, tables.disabled = (1, False) if has_floor_plan(self.ctl) else (0, True)
        upload = f["fn:upload"]
        answers = st.mode == "ONLINE" or (st.autonomous and st.server_back)
        upload.disabled = st.pending == 0 or not answers
        upload.reason = (
            _("Send sales: none waiting")
            if st.pending == 0
            else _("Send sales: the server does not answer")
        )
        upload.label = _("Send sales ({n})").format(n=st.pending) if st.pending else _("Send sales")

    def _pages(self) -> None:
        cat = self.ctl.till.catalogue
        screens = sorted(
            (getattr(cat, "screens", None) or []) if cat is not None else [],
            key=lambda p: (p.get("position", 0), str(p.get("name"))),
        )
        self.pages = screens
        self.tabs.clear_widgets()
        rows = 1 if len(screens) <= TABS_A_ROW else 2
        self.tabs.rows = rows
        self.tabs.height = dp(SIZES["tab"]) if rows == 1 else dp(2 * 50 + 4)
        for i, page in enumerate(screens):
            b = TouchButton(
                str(page.get("name") or i + 1),
                tag=f"tab:{i}",
                font_size=sp(16),
                colour=list(rgba(page.get("colour"))),
            )
            b.bind(on_release=lambda _b, n=i: self.show_page(n))
            self.tabs.add_widget(b)
        page, new = placed_page(self.ctl.state, screens, self.page)
        self.show_page(page)
        button = next((b for b in self.grid.children if b.tag == f"product:{new}"), None)
        if button is not None:  # an article just created: in sight on its page
            self.grid_scroll.scroll_to(button, animate=False)

    def show_page(self, n: int) -> None:
        self.page = n
        for b in self.tabs.children:
            b.bold = b.tag == f"tab:{n}"
            b.underline = b.bold
        self.grid.clear_widgets()
        if not getattr(self, "pages", None):
            return
        cat = self.ctl.till.catalogue
        for button in sorted(self.pages[n].get("buttons") or [], key=lambda b: b["position"]):
            aid = str(button.get("article_id"))
            article = cat.by_id(aid) if cat is not None else None
            price = f"\n{money(int(article['price']))}" if article else ""
            b = ProductButton(  # wrapped between words, shrunk before a word is cut
                f"{button.get('label') or aid}{price}",
                tag=f"product:{aid}",
                colour=list(rgba(button.get("colour"))),
                font_size=sp(16),
            )
            b.bind(on_release=lambda _b, a=aid: self.ctl.add(a))
            self.grid.add_widget(b)
