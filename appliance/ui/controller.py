"""Between the till core and the screens: commands out, events in (no Kivy here).

`TillController` owns the worker and the event pump. The screens call its
methods on the UI thread; each one queues a till command on the worker and
returns at once. The till's events come back through the pump, on the UI
thread, to `handle`, which keeps `UiState` and tells the view (`view.py`)
what changed. A scan or a product button shows its line at once, from the
snapshot in memory, as a provisional (grey) line; the core's answer replaces
it, or takes it away with the reason.

Device methods (`reprint_last`, `open_drawer`, `device_status`) are used
when the till has them; otherwise the screen says the device is not there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .i18n import _, money, parse_amount
from .texts import describe_error
from .worker import EventPump, Worker
from .xreport import x_report

__all__ = ["TillController", "UiState", "View"]

log = logging.getLogger(__name__)

Event = dict[str, Any]

#: errors a scan can end with: the provisional line they answer goes
SCAN_ERRORS = frozenset(
    {
        "unknown_barcode",
        "bad_barcode",
        "server_unreachable",
        "not_logged_in",
        "question_pending",
        "not_ready",
        "no_snapshot",
        "bad_quantity",
        "bad_article",
    }
)


class View(Protocol):
    """What the controller asks of the screens (view.TillRoot implements it)."""

    def refresh(self, what: str) -> None: ...
    def say(self, text: str, level: str = "info") -> None: ...
    def ask(self, event: Event) -> None: ...
    def close_question(self) -> None: ...
    def show_screen(self, name: str) -> None: ...
    def upload(self, state: dict[str, Any]) -> None: ...
    def article_result(self, ok: bool, text: str) -> None: ...
    def x_report(self, report: dict[str, Any]) -> None: ...
    def info(self, title: str, text: str) -> None: ...


@dataclass
class UiState:
    mode: str = "BOOT"
    server: str | None = None
    server_id: str | None = None
    pending: int = 0
    started: bool = False
    cashier: dict[str, Any] | None = None
    sale: dict[str, Any] = field(
        default_factory=lambda: {
            "lines": [],
            "sale_discount": 0,
            "total": 0,
            "paid": 0,
            "due": 0,
            "payments": [],
        }
    )
    #: lines shown before the core answered: request number -> row
    provisional: dict[int, dict[str, Any]] = field(default_factory=dict)
    selected: int | None = None
    #: quantity typed before a scan or a product button ("3 ×")
    next_quantity: int | None = None
    question: Event | None = None
    upload: dict[str, Any] = field(default_factory=dict)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_closed: Event | None = None
    last_receipt_png: str | None = None
    catalogue_version: int | None = None
    #: (time.perf_counter() when a scan was asked, code): read by the benchmarks
    last_scan_at: float = 0.0

    @property
    def is_manager(self) -> bool:
        return bool(self.cashier) and self.cashier.get("role") == "manager"

    @property
    def autonomous(self) -> bool:
        return self.mode == "AUTONOMOUS"


class TillController:
    def __init__(
        self,
        till: Any,
        *,
        scanner_rings_up: bool | None = None,
        after_start: Callable[[Any], Any] | None = None,
    ) -> None:
        self.till = till
        #: run on the worker once the till is open (e.g. attach its devices)
        self.after_start = after_start
        self.worker = Worker()
        self.pump = EventPump(self.handle, self.worker)
        self.worker.on_failure = self._failed
        config = getattr(till, "config", None)
        self.state = UiState(
            server=getattr(till, "server_url", None),
            server_id=getattr(config, "server_id", None) or None,
        )
        self.view: View | None = None
        #: None: the till's device layer (`till.devices`, devices.py) rings scanned codes
        #: up itself when there is one, and the screen only shows the provisional line;
        #: True/False forces either way
        self.scanner_rings_up = scanner_rings_up
        self._scans = 0
        self._unsubscribe: Callable[[], None] | None = None
        self.listeners: list[Callable[[Event], None]] = []
        self._article_request = 0

    # -- life ----------------------------------------------------------------------
    def start(self) -> None:
        """Subscribe, then start the till on the worker (opening a big snapshot takes
        time: the login screen is already there)."""
        self.worker.start()
        self._unsubscribe = self.till.subscribe(self.pump.publish)
        self.worker.submit(self._start_till)

    def _start_till(self) -> None:
        try:
            self.till.start()
        except Exception as e:  # another till process on the folder, unreadable files...
            log.exception("the till did not start")
            self.pump.post("error", code="start_failed", message=str(e))
            return
        if self.after_start is not None:
            try:
                self.after_start(self.till)
            except Exception as e:  # the till sells without what failed, and says so
                log.exception("after the till started")
                self.pump.post("error", code="start_failed", message=str(e))
        self.pump.post("_started")
        self._device_status()

    def stop(self) -> None:
        """Let queued commands finish, stop the till (it records its clean stop)."""
        self.worker.submit(self.till.stop)
        self.worker.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()

    def _failed(self, number: int, error: BaseException) -> None:
        self.pump.post("_failed", request=number, message=repr(error))

    def _submit(self, call: Callable[[], Any]) -> int:
        return self.worker.submit(call, done=self._done)

    def _done(self, number: int, result: Any) -> None:
        self.pump.post("_done", request=number)

    # -- commands (UI thread) -----------------------------------------------------
    def login(self, cashier_id: str, pin: str) -> None:
        self._submit(lambda: self.till.login(cashier_id, pin))

    def logout(self) -> None:
        self._submit(self.till.logout)

    def scan(self, code: str) -> int | None:
        code = code.strip()
        if not code:
            self._say(describe_error({"code": "bad_barcode"}), "error")
            return None
        cat = self.till.catalogue
        article = cat.by_barcode(code) if cat is not None else None
        return self._ring("scan", code, article)

    def add(self, article_id: str) -> int:
        cat = self.till.catalogue
        article = cat.by_id(article_id) if cat is not None else None
        return self._ring("add", article_id, article)

    def _ring(self, kind: str, key: str, article: dict[str, Any] | None) -> int:
        st = self.state
        quantity, st.next_quantity = st.next_quantity or 1, None
        st.last_scan_at = time.perf_counter()
        call = self.till.scan if kind == "scan" else self.till.add
        number = self._submit(lambda: call(key, quantity))
        self._show_provisional(number, key, article, quantity)
        return number

    def _show_provisional(
        self, key: Any, code: str, article: dict[str, Any] | None, quantity: int = 1
    ) -> None:
        st = self.state
        if article is not None:
            price = int(article.get("price") or 0)
            row = {
                "qty": f"{quantity} ×",
                "label": str(article.get("name", key)),
                "detail": "",
                "unit": money(price),
                "total": money(price * quantity),
            }
        else:
            row = {
                "qty": f"{quantity} ×",
                "label": _("Looking up {code}…").format(code=code),
                "detail": "",
                "unit": "",
                "total": "",
            }
        row["article_id"] = str(article.get("article_id")) if article else None
        row["code"] = code
        st.provisional[key] = row
        if self.view is not None:
            if st.last_closed is not None:
                st.last_closed = None
                self.view.show_screen("sale")
            self.view.refresh("sale")

    def _scanner_rows(self) -> list[Any]:
        return [k for k in self.state.provisional if isinstance(k, tuple)]

    def _settle_scan(self, article_id: str | None = None, text: str = "") -> Any:
        """The core answered a code the device layer rang up: which provisional line."""
        keys = self._scanner_rows()
        prov = self.state.provisional
        for k in keys:
            if (article_id and prov[k]["article_id"] == article_id) or (
                text and prov[k]["code"] in text
            ):
                return k
        return keys[0] if keys else None

    def set_quantity(self, typed: str) -> None:
        """The keypad's "×": the selected line's quantity, or the next article's."""
        try:
            quantity = int(typed)
        except ValueError:
            self._say(describe_error({"code": "bad_quantity"}), "error")
            return
        st = self.state
        if st.selected is None:
            if not 1 <= quantity <= 9999:
                self._say(describe_error({"code": "bad_quantity"}), "error")
                return
            st.next_quantity = quantity
            self._say(_("Quantity {n} for the next article").format(n=quantity))
            if self.view is not None:
                self.view.refresh("sale")
            return
        index = st.selected
        self._submit(lambda: self.till.set_quantity(index, quantity))

    def set_price(self, typed: str) -> None:
        """The keypad's "Price": the selected line's unit price (weighed goods, a free
        price, a shelf label that differs), typed as "2,50" or "3"."""
        index = self.state.selected
        if index is None:
            self._say(_("Touch a line of the ticket, type its price, then Price."), "error")
            return
        try:
            cents = parse_amount(typed)
        except ValueError:
            self._say(describe_error({"code": "bad_price"}), "error")
            return
        self._submit(lambda: self.till.set_price(index, cents))

    def select(self, index: int | None) -> None:
        self.state.selected = None if self.state.selected == index else index
        if self.view is not None:
            self.view.refresh("sale")

    def void(self) -> None:
        index = self.state.selected
        if index is None:
            self._say(describe_error({"code": "no_such_line"}), "error")
            return
        self.state.selected = None
        self._submit(lambda: self.till.void(index))

    def discount(self, *, line: bool, cents: int | None = None, percent: float | None = None):
        index = self.state.selected if line else None
        if line and index is None:
            self._say(describe_error({"code": "no_such_line"}), "error")
            return
        self._submit(lambda: self.till.discount(index, cents=cents, percent=percent))

    def cancel(self) -> None:
        self.state.selected = None
        self._submit(self.till.cancel)

    def pay(self, method: str, amount: int | None = None) -> None:
        """`amount` None: what is due."""
        self._submit(lambda: self.till.pay(method, amount))

    def answer(self, question: str, choice: str) -> None:
        self._submit(lambda: self.till.answer(question, choice))

    def upload(self) -> None:
        self._submit(self.till.upload)

    def create_article(self, article: dict[str, Any]) -> None:
        if not self.state.is_manager:
            if self.view is not None:
                self.view.article_result(False, _("Only a manager can do this."))
            return
        self._article_request = self._submit(lambda: self.till.create_article(article))

    def kitchen(self, table: str, covers: int | None, note: str) -> None:
        self._submit(lambda: self.till.kitchen(table=table, covers=covers, note=note))

    def reprint_last(self) -> None:
        self._device_call("reprint_last")

    def open_drawer(self) -> None:
        if not self.state.is_manager:
            self._say(_("Only a manager can do this."), "error")
            return
        who = (self.state.cashier or {}).get("cashier_id", "")
        self._device_call("open_drawer", f"manager {who}")

    def _device_call(self, name: str, *args: Any) -> None:
        method = getattr(self.till, name, None)
        if method is None:
            self._say(_("This till has no receipt printer or drawer connected."), "warning")
            return
        self._submit(lambda: (method(*args), self._device_status()))

    def refresh_devices(self) -> None:
        self.worker.submit(self._device_status)

    def _device_status(self) -> None:
        """Ask the till; it publishes `device_status` (a till without devices says so)."""
        status = getattr(self.till, "device_status", None)
        if status is None:
            return
        try:
            status()
        except Exception as e:  # a device layer that fails says so, the till goes on
            log.warning("device status: %r", e)

    def request_x_report(self) -> None:
        till = self.till

        def make() -> None:
            self.pump.post("_x_report", report=x_report(till))

        self.worker.submit(make)

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
        box = getattr(self.till, "outbox", None)
        if box is not None:
            self.state.pending = box.pending_count

    def on__started(self, ev: Event) -> None:
        self.state.started = True
        self._catalogue_changed()

    def on__done(self, ev: Event) -> None:
        if self.state.provisional.pop(ev.get("request"), None) is not None:
            self._refresh("sale")

    def on__failed(self, ev: Event) -> None:
        self.state.provisional.pop(ev.get("request"), None)
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
        if st.mode not in ("ASK_AUTONOMOUS", "ASK_UPLOAD") and st.question is not None:
            st.question = None
            if self.view is not None:
                self.view.close_question()
        if st.mode == "AUTONOMOUS":
            self._say(_("Autonomous mode: sales are kept on this till."), "warning")
        elif st.mode == "ONLINE" and ev.get("previous") not in ("BOOT", "ONLINE"):
            self._say(_("Online with the store server."))
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
        request = ev.get("_request")
        if request is None:  # rung up by another thread: the scanner's
            request = self._settle_scan(article_id=str((ev.get("line") or {}).get("article_id")))
        self.state.provisional.pop(request, None)
        self._sale(ev)
        self.state.selected = None
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

    def on_sale_closed(self, ev: Event) -> None:
        st = self.state
        st.last_closed = ev
        st.selected = None
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

    def _catalogue_changed(self) -> None:
        cat = self.till.catalogue
        version = cat.version if cat is not None else None
        if version != self.state.catalogue_version:
            self.state.catalogue_version = version
            self._refresh("catalogue")

    def on_article_created(self, ev: Event) -> None:
        article = ev.get("article") or {}
        text = _("Article created: {name}").format(name=article.get("name", ""))
        if self.view is not None:
            self.view.article_result(True, text)
        self._say(text)

    def on_kitchen_sent(self, ev: Event) -> None:
        self._say(_("Sent to the kitchen."))

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
        request = ev.get("_request")
        if request is None and code in SCAN_ERRORS:
            request = self._settle_scan(text=str(ev.get("message") or ""))
        if request is not None and request in st.provisional:
            if code == "server_unreachable":
                st.provisional[request]["detail"] = _("kept: done again once you answer")
            else:
                st.provisional.pop(request, None)
            self._refresh("sale")
        if code == "outbox_write_failed" and isinstance(ev.get("sale"), dict):
            st.sale = ev["sale"]
            self._refresh("sale", "payment")
        text = describe_error(ev)
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
        cat = self.till.catalogue
        self._scans += 1
        self._show_provisional(("scanner", self._scans), code, cat and cat.by_barcode(code))

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
