"""The till's window: status bar, autonomous banner, the screens, the message line.

`TillRoot` is the view the controller talks to (`controller.View`). A side
panel (the demo's scanner buttons and receipt view) can sit on the right of
the till's own screen.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kivy.clock import Clock
from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivy.uix.widget import Widget

from . import i18n
from .controller import TillController
from .dialog_kitchen import KitchenDialog
from .dialog_manager import CancelDialog, CardDialog, ManagerDialog
from .dialogs import (
    ArticleDialog,
    InfoDialog,
    QuestionDialog,
    UploadDialog,
    XReportDialog,
)
from .i18n import _, ngettext
from .keys import key_router
from .screen_refund import RefundScreen
from .screen_tables import FloorScreen, TableScreen
from .screens import LoginScreen, PaymentScreen, SaleScreen
from .texts import mode_name, question_text, update_tag
from .theme import COLOURS, MODE_COLOURS, SIZES
from .widgets import Banner, MessageBar, TextLabel, fill

__all__ = ["StatusBar", "TillRoot", "device_state"]

#: the core's answers that an action succeeded: an error still on the message line goes
SUCCEEDED = frozenset(
    {
        "line_added",
        "sale_updated",
        "sale_closed",
        "sale_cancelled",
        "logged_in",
        "logged_out",
        "kitchen_sent",
        "kitchen_printing",
        "article_created",
        "drawer_opened",
        "receipt_printed",
        "answered",
    }
)


def store_zone(name: Any) -> tzinfo:
    """The store's IANA time zone (its snapshot's `timezone`), UTC when none or unknown."""
    try:
        return ZoneInfo(str(name)) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def device_state(info: dict[str, Any] | None) -> tuple[str, str]:
    """A device's entry of `device_status` (or of its events) -> (level, text):
    level is ok, warning, bad or unknown."""
    if not info:
        return "unknown", _("not connected")
    state = str(info.get("state") or info.get("status") or "").lower()
    if state == "none":
        return "unknown", _("none")
    if state in ("ok", "ready", "connected", "printed", "closed", "open"):
        level = "ok"
    elif state in ("warning", "paper_near_end", "uncertain", "disconnected"):
        level = "warning"
    elif state in ("unknown", "missing"):
        level = "unknown"
    elif state:
        level = "bad"
    elif info.get("ok") is True or info.get("connected") is True:
        level = "ok"
    elif info.get("ok") is False or info.get("connected") is False:
        level = "bad"
    else:
        level = "unknown"
    words = {
        "ok": _("ready"),
        "warning": _("check"),
        "bad": _("problem"),
        "unknown": _("not connected"),
    }
    if state == "open":
        return level, _("open")
    return level, words[level]  # the details go to the message line with the events


class StatusBar(BoxLayout):
    """Mode (coloured), the server's name (its address below, small), sales waiting (a
    failed update below, small), printer, scanner, drawer, clock."""

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("size_hint_y", None)
        kw.setdefault("height", dp(SIZES["status_bar"]))
        kw.setdefault("spacing", dp(6))
        kw.setdefault("padding", (dp(4), dp(4)))
        super().__init__(**kw)
        fill(self, COLOURS["panel"])
        small = sp(16)
        self.mode = TextLabel(font_size=sp(18), bold=True, halign="center", size_hint_x=0.15)
        self.mode.tag = "status:mode"
        self._mode_bg = fill(self.mode, MODE_COLOURS["BOOT"])
        # the server's name (its id, as enrolled and advertised), its address below, small
        where = BoxLayout(orientation="vertical", size_hint_x=0.25)
        self.server = TextLabel(font_size=small, bold=True, shorten=True)
        self.server.shorten_from = "left"  # the name's end tells two servers apart
        self.server.tag = "status:server"
        self.server_address = TextLabel(font_size=sp(12), color=COLOURS["muted"], shorten=True)
        self.server_address.shorten_from = "left"
        self.server_address.tag = "status:server_address"
        where.add_widget(self.server)
        where.add_widget(self.server_address)
        # sales waiting; below, small, an update that did not take (its reason goes
        # to the message line)
        waiting = BoxLayout(orientation="vertical", size_hint_x=0.15)
        self.pending = TextLabel(font_size=small, bold=True)
        self.pending.tag = "status:pending"
        self.update = TextLabel(font_size=sp(12), color=COLOURS["bad"], shorten=True)
        self.update.tag = "status:update"
        waiting.add_widget(self.pending)
        waiting.add_widget(self.update)
        self.devices: dict[str, TextLabel] = {}
        self.add_widget(self.mode)
        self.add_widget(where)
        self.add_widget(waiting)
        for kind in ("printer", "scanner", "drawer"):
            label = TextLabel(font_size=sp(14), size_hint_x=0.11, markup=True, halign="center")
            label.tag = f"status:{kind}"
            label.line_height = 0.9
            self.devices[kind] = label
            self.add_widget(label)
        self.clock = TextLabel(font_size=sp(20), bold=True, halign="right", size_hint_x=0.11)
        self.clock.tag = "status:clock"
        self.add_widget(self.clock)
        #: the store's time zone (its snapshot's), as on the receipts and the X report
        self.zone: Any = UTC
        self.tick()

    def tick(self, *_args: Any) -> None:
        self.clock.text = datetime.now(self.zone).strftime("%H:%M:%S")

    def show(self, ctl: TillController) -> None:
        st = ctl.state
        cat = ctl.till.catalogue
        zone = store_zone((getattr(cat, "store", None) or {}).get("timezone") if cat else None)
        if zone != self.zone:
            self.zone = zone
            self.tick()
        self.mode.text = mode_name(st.mode)
        self._mode_bg.rgba = MODE_COLOURS.get(st.mode, MODE_COLOURS["BOOT"])
        address = urlsplit(st.server).netloc if st.server else ""
        self.server.text = _("Server: {name}").format(name=st.server_id or address or _("none yet"))
        self.server_address.text = address if st.server_id else ""
        self.pending.text = ngettext("{n} sale to send", "{n} sales to send", st.pending).format(
            n=st.pending
        )
        self.pending.color = COLOURS["warning"] if st.pending else COLOURS["text"]
        self.update.text = update_tag(st.update)
        names = {"printer": _("Printer"), "scanner": _("Scanner"), "drawer": _("Drawer")}
        colours = {"ok": "51cf66", "warning": "ffa94d", "bad": "ff6b6b", "unknown": "adb5bd"}
        for kind, label in self.devices.items():
            level, text = device_state(st.devices.get(kind))
            label.text = f"[b][color={colours[level]}]{names[kind]}[/color][/b]\n{text}"
            label.tag_level = level


class TillRoot(BoxLayout):
    """The whole till screen; the controller's view."""

    def __init__(self, ctl: TillController, side: Widget | None = None, **kw: Any) -> None:
        kw.setdefault("orientation", "horizontal")
        super().__init__(**kw)
        self.ctl = ctl  # the window's clear colour is the background: nothing painted twice
        main = BoxLayout(orientation="vertical")
        self.status = StatusBar()
        self.banner = Banner()
        self.banner.tag = "banner"
        self.screens = ScreenManager(transition=NoTransition())
        self.login = LoginScreen(ctl)
        self.sale = SaleScreen(ctl)
        self.payment = PaymentScreen(ctl)
        self.floor, self.table = FloorScreen(ctl), TableScreen(ctl)  # a restaurant's tables
        self.refund = RefundScreen(ctl)
        for s in (self.login, self.sale, self.payment, self.floor, self.table, self.refund):
            self.screens.add_widget(s)
        self._stale: dict[str, list[str]] = {"sale": [], "payment": []}
        self.screens.bind(current=self._entered)
        self.message = MessageBar()
        self.message.tag = "message"
        for w in (self.status, self.banner, self.screens, self.message):
            main.add_widget(w)
        self.add_widget(main)
        self.side = side
        if side is not None:
            self.add_widget(side)
        self.question: QuestionDialog | None = None
        self.upload_dialog: UploadDialog | None = None
        self.article: ArticleDialog | None = None
        self.dialogs: list[Any] = []
        self._clock = Clock.schedule_interval(self.status.tick, 1)
        # a keyboard-wedge scanner's codes, on the sale screen (a demo panel comes first)
        self._keys_off = key_router().add(self.sale.typed_key)
        ctl.view = self
        ctl.listeners.append(self._succeeded)
        self.refresh("all")

    def close(self) -> None:
        self._clock.cancel()
        self._keys_off()
        self.floor.close()
        self.table.close()
        self.refund.close()
        if self._succeeded in self.ctl.listeners:
            self.ctl.listeners.remove(self._succeeded)

    def _succeeded(self, ev: dict[str, Any]) -> None:
        """After the core's own handling: an error said before a success is no longer true."""
        if ev.get("event") in SUCCEEDED:
            self.clear_error()

    def clear_error(self) -> None:
        if self.message.level == "error":
            self.message.say("", "info")

    def switch_language(self) -> TillRoot:
        """French <-> English: the screens are built again on the same state, in place."""
        langs = i18n.LANGUAGES
        i18n.use(langs[(langs.index(i18n.current().code) + 1) % len(langs)])
        screen, side, parent = self.screens.current, self.side, self.parent
        if side is not None:
            self.remove_widget(side)
        self.close()
        new = TillRoot(self.ctl, side=side)
        new.screens.current = screen
        if parent is not None:
            index = parent.children.index(self)
            parent.remove_widget(self)
            if isinstance(parent, Widget):
                parent.add_widget(new, index=index)
            else:  # the window (no dialog is open: the button is under any dialog)
                parent.add_widget(new)
        from kivy.app import App

        app = App.get_running_app()
        if app is not None and app.root is self:
            app.root = new
        return new

    # -- the View protocol --------------------------------------------------------------
    def refresh(self, what: str) -> None:
        if what in ("status", "all", "functions"):
            self.status.show(self.ctl)
            self._banner()
        if what in ("all", "catalogue", "status"):
            self.login.refresh(what)
        # a screen out of sight is drawn when it comes back: no text rendered for nothing
        for screen in (self.sale, self.payment):
            if self.screens.current == screen.name:
                screen.refresh(what)
            else:
                self._stale[screen.name].append(what)

    def _entered(self, *_args: Any) -> None:
        self.clear_error()  # what went wrong on the screen left is not this one's
        for screen in (self.sale, self.payment):
            if self.screens.current == screen.name:
                stale, self._stale[screen.name] = self._stale[screen.name], []
                for what in dict.fromkeys(stale):
                    screen.refresh(what)

    def _banner(self) -> None:
        st = self.ctl.state
        self.banner.shown = st.autonomous
        if st.autonomous and st.server_back:
            self.banner.text = ngettext(
                "SERVER BACK: the store server answers again. {n} sale waiting to be sent: "
                'touch "Send sales" to send it.',
                "SERVER BACK: the store server answers again. {n} sales waiting to be sent: "
                'touch "Send sales" to send them.',
                st.pending,
            ).format(n=st.pending)
        elif st.autonomous:
            self.banner.text = ngettext(
                "AUTONOMOUS MODE: the store server is out of reach. {n} sale kept on this till. "
                "No new articles; kitchen and bar printers out of reach.",
                "AUTONOMOUS MODE: the store server is out of reach. {n} sales kept on this "
                "till. No new articles; kitchen and bar printers out of reach.",
                st.pending,
            ).format(n=st.pending)

    def say(self, text: str, level: str = "info") -> None:
        self.message.say(text, level)

    def show_screen(self, name: str) -> None:
        self.screens.current = name
        if name == "login":
            self.login.refresh("reset")

    def ask(self, event: dict[str, Any]) -> None:
        self.close_question()
        self.question = QuestionDialog(question_text(event), self.ctl.answer)
        self.question.open(animation=False)

    def close_question(self) -> None:
        if self.question is not None:
            self.question.dismiss(animation=False)
            self.question = None

    def upload(self, state: dict[str, Any]) -> None:
        if self.upload_dialog is None or self.upload_dialog.parent is None:
            self.upload_dialog = UploadDialog()
            self.upload_dialog.open(animation=False)
        self.upload_dialog.show(state)

    def article_dialog(self) -> None:
        self.article = ArticleDialog(self.ctl.till.catalogue, self.ctl.create_article)
        self.article.open(animation=False)

    def article_result(self, ok: bool, text: str) -> None:
        if self.article is not None and self.article.parent is not None:
            self.article.show(ok, text)

    def kitchen_dialog(self) -> None:
        store = getattr(self.ctl.till.catalogue, "store", None) or {}
        need = str(store.get("kitchen_order") or "")
        KitchenDialog(self.ctl.kitchen, self.ctl.state.sale, need).open(animation=False)

    def x_report(self, report: dict[str, Any]) -> None:
        XReportDialog(report).open(animation=False)

    def info(self, title: str, text: str) -> None:
        InfoDialog(title, text).open(animation=False)

    def manager_dialog(self, action: str) -> None:
        ManagerDialog(action, self.ctl.till.catalogue, self.ctl.approve).open(animation=False)

    def cancel_dialog(self, text: str) -> None:
        CancelDialog(text, self.ctl.cancel_confirmed).open(animation=False)

    def card_dialog(self, amount: int) -> None:
        CardDialog(amount, self.ctl.card_answer).open(animation=False)
