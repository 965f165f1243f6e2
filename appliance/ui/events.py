"""The till core's events, on the UI thread: `UiState` kept, the view told what changed.

`ScreenEvents` is the half of `TillController` that listens (`handle` calls
`on_<event>`); the other half (controller.py) gives commands. A scan's answer
(`line_added`, `error`) names the request of its provisional line (`request`);
a sale closed or cancelled leaves no provisional line behind.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .i18n import _, money
from .state import Event, UiState, View
from .texts import describe_error, not_sent_text, update_text

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ScreenEvents"]

log = logging.getLogger(__name__)


class ScreenEvents:
    """The event handlers of `TillController` (its state, view and till)."""

    till: Any
    state: UiState
    view: View | None
    listeners: list[Callable[[Event], None]]
    scanner_rings_up: bool | None
    _scan_of: dict[int, str]
    _article_request: int

    def scan(self, code: str) -> int | None:
        raise NotImplementedError

    def _show_provisional(
        self, key: str, code: str, article: dict[str, Any] | None, quantity: int = 1
    ) -> None:
        raise NotImplementedError

    # -- events (UI thread) -------------------------------------------------------
    def handle(self, ev: Event) -> None:
        name = str(ev.get("event"))
        method = getattr(self, f"on_{name}", None)
        if method is not None:
            method(ev)
        for listener in list(self.listeners):
            listener(ev)

    def _say(self, text: str, level: str = "info") -> None:
        if self.view is not None:
            self.view.say(text, level)

    def _refresh(self, *what: str) -> None:
        if self.view is not None:
            for w in what:
                self.view.refresh(w)

    def _pending_now(self) -> None:
        pending = getattr(self.till, "pending_count", None)
        if pending is not None:
            self.state.pending = pending

    def on__started(self, ev: Event) -> None:
        self.state.started = True
        self._catalogue_changed()

    def _unanswered(self, number: Any) -> None:
        """The command `number` ended: a line of its scan that no answer settled goes
        (a line kept for the outage question waits for the scan done again)."""
        request = self._scan_of.pop(number, None)
        row = self.state.provisional.get(request) if request is not None else None
        if row is not None and not row.get("kept"):
            self.state.provisional.pop(request)
            self._refresh("sale")

    def on__done(self, ev: Event) -> None:
        self._unanswered(ev.get("request"))

    def on__failed(self, ev: Event) -> None:
        self._unanswered(ev.get("request"))
        self._say(_("Something went wrong: {message}").format(message=ev.get("message")), "error")
        self._refresh("sale")

    def on__x_report(self, ev: Event) -> None:
        if self.view is not None:
            self.view.x_report(ev["report"])

    def on_boot(self, ev: Event) -> None:
        st = self.state
        st.mode = str(ev.get("mode"))
        st.server = ev.get("server")
        st.server_id = ev.get("server_id") or st.server_id
        st.pending = int(ev.get("pending") or 0)
        self._catalogue_changed()
        self._refresh("status")

    def on_update(self, ev: Event) -> None:
        st = self.state
        before = (st.update or {}).get("at")
        st.update = ev
        if ev.get("result") in ("failed", "rolled_back") and ev.get("at") != before:
            self._say(update_text(ev), "error")
        self._refresh("status")

    def on_recovered(self, ev: Event) -> None:
        last = ev.get("last_sale")
        if last:
            text = _(
                "The till stopped without shutting down (power cut or crash). The last sale "
                "recorded is no. {seq} ({total}): it is kept and goes to the server, even if "
                "its receipt did not print. A sale that was on screen after it was NOT "
                "recorded: ring it up again."
            ).format(seq=last.get("seq"), total=money(int(last.get("total") or 0)))
        else:
            text = _(
                "The till stopped without shutting down (power cut or crash). No sale is "
                "recorded on this till: a sale that was on screen was NOT recorded; ring it "
                "up again."
            )
        if self.view is not None:
            self.view.info(_("The till was not shut down properly"), text)

    def on_mode(self, ev: Event) -> None:
        st = self.state
        st.mode = str(ev.get("mode"))
        st.server = ev.get("server") or st.server
        st.pending = int(ev.get("pending") or 0)
        st.server_back = st.mode == "AUTONOMOUS" and bool(
            ev.get("server_answers", ev.get("previous") == "ASK_UPLOAD")
        )
        if st.mode not in ("ASK_AUTONOMOUS", "ASK_UPLOAD") and st.question is not None:
            st.question = None
            if self.view is not None:
                self.view.close_question()
        if st.mode == "AUTONOMOUS":
            self._say(_("Autonomous mode: sales are kept on this till."), "warning")
        elif st.mode == "ONLINE" and ev.get("previous") not in ("BOOT", "ONLINE"):
            self._say(_("Online with the store server."))
        self._refresh("status", "functions")

    def on_server_answers(self, ev: Event) -> None:
        """Autonomous after "later": the server answers again, or no longer."""
        st = self.state
        st.server_back = st.mode == "AUTONOMOUS" and bool(ev.get("answers"))
        st.pending = int(ev.get("pending") or st.pending)
        self._refresh("status", "functions")

    def on_question(self, ev: Event) -> None:
        self.state.question = ev
        self.state.pending = int(ev.get("pending") or self.state.pending)
        if self.view is not None:
            self.view.ask(ev)
        self._refresh("status")

    def on_answered(self, ev: Event) -> None:
        self.state.question = None
        if self.view is not None:
            self.view.close_question()

    def on_logged_in(self, ev: Event) -> None:
        cid = str(ev.get("cashier_id"))
        cat = self.till.catalogue
        row = (cat.cashier(cid) if cat is not None else None) or {}
        self.state.cashier = {
            "cashier_id": cid,
            "name": ev.get("name") or row.get("name") or cid,
            "role": row.get("role", "cashier"),
        }
        self._say(_("Hello {name}.").format(name=self.state.cashier["name"]))
        if self.view is not None:
            self.view.show_screen("sale")
        self._refresh("status", "functions")

    def on_logged_out(self, ev: Event) -> None:
        self.state.cashier = None
        if self.view is not None:
            self.view.show_screen("login")
        self._refresh("status", "functions")

    def _sale(self, ev: Event) -> None:
        sale = ev.get("sale")
        if isinstance(sale, dict):
            self.state.sale = sale
        n = len(self.state.sale.get("lines") or [])
        if self.state.selected is not None and self.state.selected >= n:
            self.state.selected = None

    def on_line_added(self, ev: Event) -> None:
        """A line rung up (or an article rung again, on its line): the chosen line stays
        chosen, a line added takes no index away."""
        self.state.provisional.pop(ev.get("request"), None)
        self._sale(ev)
        self._refresh("sale", "payment")

    def on_sale_updated(self, ev: Event) -> None:
        self._sale(ev)
        self._refresh("sale", "payment")

    def on_sale_cancelled(self, ev: Event) -> None:
        self._sale(ev)
        self.state.selected = None
        self.state.provisional.clear()
        self._say(_("Sale cancelled."))
        if self.view is not None:
            self.view.show_screen("sale")
        self._refresh("sale", "payment")

    def on_card_pending(self, ev: Event) -> None:
        """The store wants the terminal's answer before a card payment is taken."""
        if self.view is not None:
            self.view.card_dialog(int(ev.get("amount") or 0))

    def on_card_refused(self, ev: Event) -> None:
        self._sale(ev)
        self._say(_("Card refused: nothing was taken. Choose another payment."), "warning")
        self._refresh("sale", "payment")

    def on_sale_closed(self, ev: Event) -> None:
        st = self.state
        st.last_closed = ev
        st.selected = None
        st.provisional.clear()  # a sale closed leaves nothing waiting on screen
        st.sale = {"lines": [], "sale_discount": 0, "total": 0, "paid": 0, "due": 0, "payments": []}
        self._pending_now()
        self._say(_("Sale no. {seq} recorded.").format(seq=ev.get("seq")))
        self._refresh("sale", "payment", "status")

    def on_synced(self, ev: Event) -> None:
        self.state.pending = int(ev.get("pending") or 0)
        self._refresh("status")

    def _upload(self, **fields: Any) -> None:
        self.state.upload.update(fields)
        if self.view is not None:
            self.view.upload(dict(self.state.upload))

    def on_upload_started(self, ev: Event) -> None:
        self.state.upload = {}
        self._upload(state="running", total=int(ev.get("total") or 0), sent=0)

    def on_upload_progress(self, ev: Event) -> None:
        self._upload(state="running", total=int(ev.get("total") or 0), sent=int(ev["sent"]))
        self._pending_now()
        self._refresh("status")

    def on_upload_finished(self, ev: Event) -> None:
        self._upload(state="finished", total=int(ev.get("total") or 0), sent=int(ev["sent"]))
        self._pending_now()
        self._refresh("status")

    def on_upload_interrupted(self, ev: Event) -> None:
        self._upload(
            state="interrupted",
            total=int(ev.get("total") or 0),
            sent=int(ev.get("sent") or 0),
            pending=int(ev.get("pending") or 0),
        )
        self._pending_now()
        self._refresh("status")

    def on_snapshot_installed(self, ev: Event) -> None:
        self._catalogue_changed()
        self._say(_("New catalogue installed ({n} articles).").format(n=ev.get("articles")))

    def on_catalogue_changed(self, ev: Event) -> None:
        """Today's change from the back office: the pages' buttons drawn again."""
        self._refresh("catalogue")

    def _catalogue_changed(self) -> None:
        cat = self.till.catalogue
        version = cat.version if cat is not None else None
        if version != self.state.catalogue_version:
            self.state.catalogue_version = version
            self._refresh("catalogue")

    def on_article_created(self, ev: Event) -> None:
        article = ev.get("article") or {}
        self.state.show_article = str(article.get("article_id") or "") or None
        self._refresh("catalogue")  # its page, if today's change came before this answer
        text = _("Article created: {name}").format(name=article.get("name", ""))
        if self.view is not None:
            self.view.article_result(True, text)
        self._say(text)

    def on_kitchen_sent(self, ev: Event) -> None:
        self._kitchen_went(ev)

    def on_kitchen_printing(self, ev: Event) -> None:
        """Lines printed by this till's own kitchen printers."""
        self._kitchen_went(ev)

    def _kitchen_went(self, ev: Event) -> None:
        text = _("Sent to the kitchen.")
        if ev.get("reprint"):
            text = _("Sent to the kitchen again, marked as a copy.")
        if isinstance(ev.get("sale"), dict):
            self._sale(ev)
            self._refresh("sale")
        not_sent = list(ev.get("not_sent") or [])
        if not_sent:
            self._say(f"{text} {not_sent_text(not_sent)}", "warning")
        else:
            self._say(text)

    def on_kitchen_status(self, ev: Event) -> None:
        """What became of an order the server prints, said in the cashier's language."""
        names = {
            str(p.get("printer_id")): str(p.get("name") or p.get("printer_id"))
            for p in getattr(self.till.catalogue, "printers", None) or []
        }
        said: list[str] = []
        problem = False
        for p in ev.get("printers") or []:
            name = str(p.get("printer") or p.get("printer_id"))
            state, sent_to = p.get("state"), p.get("sent_to")
            backup = sent_to and sent_to != p.get("printer_id")
            if state == "printed" and backup:
                said.append(
                    _("{printer} does not answer: the ticket went to {backup}.").format(
                        printer=name, backup=names.get(str(sent_to), str(sent_to))
                    )
                )
            elif state == "failed":
                problem = True
                said.append(
                    _("{printer}: nothing printed. Tell them by voice.").format(printer=name)
                )
            elif state == "uncertain":
                problem = True
                said.append(
                    _("{printer}: the ticket may be incomplete. Check it there.").format(
                        printer=name
                    )
                )
        if said:
            self._say(" ".join(said), "error" if problem else "warning")
        elif ev.get("ended") and ev.get("status") == "printed":
            self._say(_("The kitchen has the ticket."))

    def on_resend(self, ev: Event) -> None:
        self._pending_now()
        self._say(
            _("The store server lost some sales: they are sent to it again."),
            "warning",
        )
        self._refresh("status")

    def on_clock_off(self, ev: Event) -> None:
        offset = int(ev.get("offset_s") or 0)
        if abs(offset) < 60:
            self._say(_("The till's clock is right again."))
        else:
            self._say(
                _("This till's clock is {minutes} min off the server's: have it set.").format(
                    minutes=round(abs(offset) / 60)
                ),
                "warning",
            )

    def on_kept_aside(self, ev: Event) -> None:
        self._say(
            _("The server kept sale no. {seq} aside for checking.").format(seq=ev.get("seq")),
            "warning",
        )

    def on_outbox_repaired(self, ev: Event) -> None:
        self._say(_("The till's sales file was repaired after a power cut."), "warning")

    def on_error(self, ev: Event) -> None:
        st = self.state
        code = str(ev.get("code"))
        scan = ev.get("request")
        if scan is not None and scan in st.provisional:
            if code == "server_unreachable":  # the core rings it up once the cashier answers
                st.provisional[scan]["detail"] = _("kept: done again once you answer")
                st.provisional[scan]["kept"] = True
            else:
                st.provisional.pop(scan, None)
            self._refresh("sale")
        request = ev.get("_request")
        if code == "outbox_write_failed" and isinstance(ev.get("sale"), dict):
            st.sale = ev["sale"]
            self._refresh("sale", "payment")
        text = describe_error(ev)
        if code == "manager_needed" and ev.get("action") and self.view is not None:
            self.view.manager_dialog(str(ev.get("action") or ""))
            self._say(text, "warning")
            return
        if request is not None and request == self._article_request and self.view is not None:
            self.view.article_result(False, text)
        self._say(text, "error")

    # -- devices ---------------------------------------------------------------------
    def on_device_status(self, ev: Event) -> None:
        for kind in ("printer", "scanner", "drawer"):
            if isinstance(ev.get(kind), dict):
                self.state.devices[kind] = ev[kind]
        self._refresh("status")

    def _device(self, kind: str, state: str, message: str = "") -> None:
        self.state.devices[kind] = {**self.state.devices.get(kind, {}), "state": state}
        if message:
            self.state.devices[kind]["message"] = message
        self._refresh("status")

    def on_scanner_connected(self, ev: Event) -> None:
        self._device("scanner", "ok", str(ev.get("device") or ""))

    def on_scanner_disconnected(self, ev: Event) -> None:
        self._device("scanner", "missing", str(ev.get("message") or ""))
        self._say(_("The scanner is disconnected."), "warning")

    def on_scanner_error(self, ev: Event) -> None:
        self._device("scanner", "error", str(ev.get("message") or ""))
        self._say(str(ev.get("message") or _("The scanner does not work.")), "error")

    def on_scanner_code(self, ev: Event) -> None:
        code = str(ev.get("code") or "").strip()
        if not code or not self.state.cashier:
            return
        rings_up = self.scanner_rings_up
        if rings_up is None:
            rings_up = getattr(self.till, "devices", None) is not None
        if not rings_up:
            self.scan(code)
            return
        request = ev.get("request")
        if request is None:  # a device layer that names no request: no line to settle
            return
        cat = self.till.catalogue
        self._show_provisional(str(request), code, cat and cat.by_barcode(code))

    def on_receipt_printed(self, ev: Event) -> None:
        self._device("printer", "ok")
        self.state.last_receipt_png = ev.get("png") or self.state.last_receipt_png
        if ev.get("message"):
            self._say(str(ev["message"]), "warning")

    def on_receipt_not_printed(self, ev: Event) -> None:
        self._device("printer", "error", str(ev.get("message") or ""))
        self._say(
            _("The receipt did not print: {message}. The sale is saved.").format(
                message=ev.get("message") or ""
            ),
            "error",
        )

    def on_receipt_uncertain(self, ev: Event) -> None:
        self._device("printer", "warning", str(ev.get("message") or ""))
        self._say(
            _("The receipt may not have printed whole: check it, reprint if needed."),
            "warning",
        )

    def on_drawer_opened(self, ev: Event) -> None:
        self._device("drawer", "open")
        self._say(_("Drawer opened."))
