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
from typing import TYPE_CHECKING, Any

from .events import ScreenEvents
from .i18n import _, money, ngettext, parse_amount
from .state import Event, UiState, View
from .texts import describe_error
from .worker import EventPump, Worker

if TYPE_CHECKING:
    from appliance.till.ports import ScreenHost

__all__ = ["TillController", "UiState", "View"]

log = logging.getLogger(__name__)


class TillController(ScreenEvents):
    def __init__(
        self,
        till: ScreenHost,
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
        #: worker command number -> the request id of the scan it carries
        self._scan_of: dict[int, str] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self.listeners: list[Callable[[Event], None]] = []
        self._article_request = 0
        #: the last command a manager may have to approve (`approve` sends it again)
        self._retry: Callable[[Any], Any] | None = None

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
        self._scans += 1
        request = f"ui-{self._scans}"
        number = self._submit(lambda: call(key, quantity, request=request))
        self._scan_of[number] = request
        self._show_provisional(request, key, article, quantity)
        return number

    def _show_provisional(
        self, key: str, code: str, article: dict[str, Any] | None, quantity: int = 1
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
        self._approvable(lambda m: self.till.set_price(index, cents, manager=m))

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
        self._approvable(lambda m: self.till.void(index, manager=m))

    def discount(self, *, line: bool, cents: int | None = None, percent: float | None = None):
        index = self.state.selected if line else None
        if line and index is None:
            self._say(describe_error({"code": "no_such_line"}), "error")
            return
        self._approvable(
            lambda m: self.till.discount(index, cents=cents, percent=percent, manager=m)
        )

    def cancel(self) -> None:
        """ "Cancel sale": asked first; the till may then want a manager."""
        sale = self.state.sale
        if not sale.get("lines") and not sale.get("payments"):
            self._approvable(lambda m: self.till.cancel(manager=m))
            return
        n = len(sale.get("lines") or ())
        text = ngettext("Its line goes.", "Its {n} lines go.", n).format(n=n)
        if sale.get("paid"):
            text += "\n" + _("{amount} was paid: give it back. A manager must approve.").format(
                amount=money(int(sale["paid"]))
            )
        if self.view is not None:
            self.view.cancel_dialog(text)

    def cancel_confirmed(self) -> None:
        self.state.selected = None
        self._approvable(lambda m: self.till.cancel(manager=m))

    def card_answer(self, accepted: bool) -> None:
        self._submit(lambda: self.till.card_answer(accepted))

    def set_eat_in(self, on: bool) -> None:
        self._submit(lambda: self.till.set_eat_in(on))

    def remove_payment(self, index: int) -> None:
        self._submit(lambda: self.till.remove_payment(index))

    def _approvable(self, command: Callable[[Any], Any]) -> None:
        """A command a manager may have to approve: tried without, kept to be sent again
        with the manager's id and PIN (`approve`) when the till asks for them."""
        self._retry = command
        self._submit(lambda: command(None))

    def approve(self, manager_id: str, pin: str) -> None:
        retry = self._retry
        if retry is not None:
            self._submit(lambda: retry({"manager_id": manager_id, "pin": pin}))

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

    def kitchen(
        self, table: str, covers: int | None, note: str, name: str = "", reprint: bool = False
    ) -> None:
        self._submit(
            lambda: self.till.kitchen(
                table=table, covers=covers, note=note, name=name, reprint=reprint
            )
        )

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
            self.pump.post("_x_report", report=till.x_report())

        self.worker.submit(make)
