"""The till's devices wired to its core: scanner, receipt printer, cash drawer, the
kitchen printers it prints to itself.

    devices = TillDevices.attach(till)      # devices.toml of the till's data folder
    ...
    till.stop()                             # stops the devices too

Opt-in: a till without it (or without devices.toml) sells as before.

- A scanned code goes to `till.scan(code)` from a thread of its own, so the
  scanner's read loop never waits for a lookup; every `scanner_*` event is
  published again on `till.bus` for the screens.
- After `sale_closed` the receipt is built (receipt.py) and printed in the
  device thread (a queue: never in the caller's thread), then the drawer is
  kicked if, and only if, the sale has a cash payment, whether the receipt
  printed or not (the cash goes in). Events: `receipt_printed`,
  `receipt_not_printed`, `receipt_uncertain` (with the cashier's message and,
  for a simulated printer, the PNG), `drawer_opened`. The sale is in the
  outbox before any of it: a failed print loses nothing, and a sale's receipt
  is never sent twice (its job id is the sale id); `reprint_last()` prints
  the last sale's receipt again, marked DUPLICATA.
- `open_drawer(reason)`: a logged-in manager only. Every opening is a
  `drawer_opened` journal event; the drawer is opened on no other occasion.
- `device_status` (devstatus.py), published when it changes; the printer's
  status is read when the device thread is idle, at most every
  `status_every_s` seconds.
- Kitchen lines routed to a direct printer configured here are printed by
  the till (kitchen.py), in either mode, in a thread of their own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.domain import EventType
from drivers.printer import NOT_PRINTED, PRINTED, PrinterError, PrintResult, Timeouts

from .credit_note import credit_note_document
from .devconfig import DevicesConfig, load_devices
from .devstatus import DeviceStatus
from .hardware import Hardware, build_hardware, save_sim_ticket
from .jobthread import JobThread
from .kitchen import KitchenTickets, till_name
from .receipt import receipt_document

if TYPE_CHECKING:
    from drivers.printer import Document

    from .ports import DeviceHost

__all__ = ["DUPLICATA", "RECEIPTS_DIR", "TillDevices"]

log = logging.getLogger(__name__)

DUPLICATA = "DUPLICATA"
RECEIPTS_DIR = "receipts"  # in the data folder: a simulated printer's tickets (PNG, text)
HANDLED_KEPT = 1000


class TillDevices:
    def __init__(
        self,
        till: DeviceHost,
        config: DevicesConfig | None = None,
        *,
        backend: Any = None,
        timeouts: Timeouts | None = None,
        status_every_s: float = 3.0,
        scanner_poll_s: float = 0.5,
    ) -> None:
        self.till = till
        self.config = config if config is not None else load_devices(till.data_dir)
        self.backend = backend
        self.timeouts = timeouts
        self.status_every_s = status_every_s
        self.scanner_poll_s = scanner_poll_s
        self.hw = Hardware(self.config)
        self.receipts_dir = Path(till.data_dir) / RECEIPTS_DIR
        self.device_thread = JobThread("devices", on_idle=self._poll, idle_s=status_every_s)
        self.scan_thread = JobThread("scans")
        self.kitchen = KitchenTickets(till, self.hw, self.receipts_dir, self._kitchen_status)
        self.status = self._new_status()
        self._unsubscribe: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._copies: dict[str, int] = {}
        self._handled: OrderedDict[str, None] = OrderedDict()
        self._last_poll = 0.0
        self._last_record: dict[str, Any] | None = None
        self._scans = 0
        self.started = False

    # -- life ----------------------------------------------------------------------------
    @classmethod
    def attach(
        cls, till: DeviceHost, config: DevicesConfig | None = None, **kw: Any
    ) -> TillDevices:
        """Build the devices of `till` (its devices.toml unless `config`), start them and
        plug them into the till (`till.plug_devices`). Call it once the till is open."""
        devices = cls(till, config, **kw)
        devices.start()
        return devices

    def start(self) -> None:
        if self.started:
            return
        cat = self.till.catalogue
        self.hw = build_hardware(
            self.config,
            self.on_scanner_event,
            backend=self.backend,
            timeouts=self.timeouts,
            snapshot_printers=list(getattr(cat, "printers", None) or []),
            scanner_poll_s=self.scanner_poll_s,
        )
        self.kitchen.hw = self.hw
        self.status = self._new_status()
        #: the sale a reprint prints: the outbox's last at start, then each `sale_closed`'s
        self._last_record = self.till.last_record()
        self.till.plug_devices(self)
        self._unsubscribe = self.till.bus.subscribe(self._till_event)
        for t in (self.device_thread, self.scan_thread, self.kitchen.thread):
            t.start()
        if self.hw.scanner is not None:
            self.hw.scanner.start()
        self.started = True
        self.status.publish()
        self.device_thread.put(self._poll, True)

    def stop(self, timeout: float = 15.0) -> None:
        """Finish what is queued (a receipt being printed), then close the devices."""
        if not self.started:
            return
        self.started = False
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.hw.scanner is not None:
            self.hw.scanner.stop()
        for t in (self.scan_thread, self.device_thread, self.kitchen.thread):
            t.stop(timeout)
        self.hw.close()
        self.till.plug_devices(None)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until every queued job is done (tests, the CLI); False on timeout."""
        deadline = time.monotonic() + timeout
        return all(
            t.wait_idle(max(0.0, deadline - time.monotonic()))
            for t in (self.scan_thread, self.device_thread, self.kitchen.thread)
        )

    @property
    def sim(self) -> Any:
        """The simulated devices (drivers.sim objects; None where a device is real)."""
        return self.hw.sim

    def device_status(self) -> dict[str, Any]:
        return self.status.snapshot()

    # -- the scanner ---------------------------------------------------------------------
    def on_scanner_event(self, event: dict[str, Any]) -> None:
        """The scanner reader's callback, in its thread: hand over and return at once."""
        self.scan_thread.put(self._scanner, event)

    def _scanner(self, event: dict[str, Any]) -> None:
        self.status.scanner(event)
        name = str(event.get("event", ""))
        fields = {k: v for k, v in event.items() if k != "event"}
        request = None
        if name == "scanner_code":
            # the code's answer (line_added or error) carries the same request id
            self._scans += 1
            request = fields["request"] = f"scanner-{self._scans}"
        self.till.bus.publish(name, **fields)
        if name == "scanner_code":
            self.till.scan(str(event.get("code", "")), request=request)

    # -- receipts and the drawer ---------------------------------------------------------
    def _till_event(self, event: dict[str, Any]) -> None:
        """A till bus subscriber: a closed sale's receipt goes to the device thread."""
        if event.get("event") not in ("sale_closed", "refund_closed") or self.hw.printer is None:
            return
        record = event.get("record")
        if not isinstance(record, dict) or record.get("sale_id") != event.get("sale_id"):
            log.error("sale %s: its record is not in the event: no receipt", event.get("sale_id"))
            return
        self._last_record = record
        self.device_thread.put(self._sale, record)

    def reprint_last(self) -> bool:
        """Queue a copy of the last sale's receipt (marked DUPLICATA)."""
        if self.hw.printer is None:
            self.till.error("no_printer", "no receipt printer is configured on this till")
            return False
        self.device_thread.put(self._reprint)
        return True

    def open_drawer(self, reason: str = "") -> bool:
        """A manager's "open drawer" (not for a sale): refused to anyone else."""
        till = self.till
        cashier = dict(till.cashier) if till.cashier else None
        if cashier is None:
            till.error("not_logged_in", "log in first: only a manager opens the drawer")
            return False
        cat = till.catalogue
        row = cat.cashier(cashier["cashier_id"]) if cat is not None else None
        role = str((row or {}).get("role") or "cashier")
        if role != "manager":
            who = cashier.get("name") or cashier["cashier_id"]
            till.error(
                "drawer_refused",
                f"only a manager can open the cash drawer outside a cash sale ({who} is a {role})",
            )
            return False
        if self.hw.drawer is None:
            till.error("no_drawer", "no cash drawer is configured on this till")
            return False
        why = str(reason or "").strip() or "manager"
        self.device_thread.put(self._kick, cashier["cashier_id"], None, None, why)
        return True

    def receipt_for(self, record: dict[str, Any]) -> Document:
        """The receipt of a sale record, with the store and cashier of the snapshot."""
        cat = self.till.catalogue
        cid = str(record.get("cashier_id") or "")
        row = cat.cashier(cid) if cat is not None and cid else None
        make = credit_note_document if record.get("kind") == "refund" else receipt_document
        return make(
            record,
            store=getattr(cat, "store", None) or {},
            till_name=till_name(self.till),
            cashier_name=str((row or {}).get("name") or cid),
            paper=self.hw.paper,
        )

    def _sale(self, record: dict[str, Any]) -> None:
        sale_id = str(record["sale_id"])
        if sale_id in self._handled:  # one receipt and one drawer opening a sale
            log.warning("sale %s was handled already: no second receipt", sale_id)
            return
        self._handled[sale_id] = None
        while len(self._handled) > HANDLED_KEPT:
            self._handled.popitem(last=False)
        if self.hw.printer is not None:
            result = self.hw.printer.print(sale_id, self.receipt_for(record))
            self._receipt_result(record, result)
        if any(p.get("method") == "cash" for p in record.get("payments") or []):
            self._kick(record.get("cashier_id"), sale_id, record["seq"], None)

    def _reprint(self) -> None:
        record = self._last_record
        if not record or "sale_id" not in record or self.hw.printer is None:
            self.till.error("nothing_to_reprint", "no sale has been recorded on this till yet")
            return
        sale_id = str(record["sale_id"])
        with self._lock:
            self._copies[sale_id] = n = self._copies.get(sale_id, 0) + 1
        doc = self.receipt_for(record).with_banner(DUPLICATA)
        self._receipt_result(record, self.hw.printer.print(f"{sale_id}/copy-{n}", doc), copy=n)

    def _receipt_result(self, record: dict[str, Any], result: PrintResult, copy: int = 0) -> None:
        self._last_poll = time.monotonic()
        self.status.printed(result)
        sale_id, seq = record["sale_id"], record["seq"]
        fields: dict[str, Any] = {
            "sale_id": sale_id, "seq": seq, "job_id": result.job_id, "state": result.state,
            "problems": list(result.problems), "duplicate": bool(copy),
        }  # fmt: skip
        if copy:
            fields["copy"] = copy
        if result.state != NOT_PRINTED:
            png = save_sim_ticket(self.hw.sim.printer, self.receipts_dir, "last.png")
            if png is not None:
                fields["png"] = png
            if copy:
                self.till.record_event(EventType.RECEIPT_REPRINTED, sale_id=sale_id, seq=seq,
                                      copy=copy, state=result.state)  # fmt: skip
        if result.state != PRINTED and not copy:  # journaled first, then said
            self.till.record_event(EventType.RECEIPT_NOT_PRINTED, sale_id=sale_id, seq=seq,
                                  state=result.state, problems=list(result.problems))  # fmt: skip
        bus = self.till.bus
        if result.state == PRINTED:
            bus.publish("receipt_printed", message=result.message, **fields)
            return
        what = f"The copy of receipt no. {seq}" if copy else f"The receipt of sale no. {seq}"
        if result.state == NOT_PRINTED:
            message = (f"{result.message} {what} did not print; the sale is recorded: reprint "
                       "its receipt once the printer is ready.")  # fmt: skip
            name = "receipt_not_printed"
        else:
            message = (f"{result.message} {what} may be incomplete: check it, and reprint it "
                       "if needed (a copy is marked DUPLICATA).")  # fmt: skip
            name = "receipt_uncertain"
        bus.publish(name, message=message, printer_message=result.message, **fields)

    def _kick(self, cashier_id: Any, sale_id: str | None, seq: int | None, reason: str | None):
        """Open the drawer: for the cash sale `sale_id`, or a manager's `reason`."""
        drawer = self.hw.drawer
        if drawer is None:
            return
        try:
            drawer.kick()
        except PrinterError as e:
            self.status.drawer_unknown()
            self.till.error("drawer_not_opened", f"the cash drawer did not open: {e.message}",
                            sale_id=sale_id, reason=reason)  # fmt: skip
            return
        data: dict[str, Any] = {"cashier_id": cashier_id}
        if sale_id is not None:
            data.update(sale_id=sale_id, seq=seq)
        else:
            data["reason"] = reason
        self.till.record_event(EventType.DRAWER_OPENED, **data)
        self.till.bus.publish("drawer_opened", **data)
        self._poll(force=True)

    # -- status --------------------------------------------------------------------------
    def _new_status(self) -> DeviceStatus:
        d = self.config.drawer
        return DeviceStatus(
            printer=self.hw.printer_name if self.config.printer else None,
            scanner=self.config.scanner is not None,
            drawer_open_is_high=d.open_is_high if d is not None and self.config.printer else None,
            kitchen=list(self.hw.kitchen),
            publish=lambda status: self.till.bus.publish("device_status", **status),
        )

    def _poll(self, force: bool = False) -> None:
        """Read the printer's status (and the drawer's, in the same answer): when the
        device thread is idle, at most every `status_every_s`."""
        now = time.monotonic()
        if self.hw.link is None or (not force and now - self._last_poll < self.status_every_s):
            return
        self._last_poll = now
        try:
            status = self.hw.link.status()
        except PrinterError as e:
            self.status.printer_problem(e.code, e.message)
            return
        self.status.printer(status)

    def _kitchen_status(self, pid: str, result: PrintResult) -> None:
        self.status.kitchen(pid, result)

    # -- kitchen printers ----------------------------------------------------------------
    @property
    def direct_kitchen(self) -> frozenset[str]:
        return self.kitchen.local

    def split_kitchen(
        self, lines: list[dict[str, Any]]
    ) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
        """(printer id -> lines this till prints there, lines for the server)."""
        return self.kitchen.split(lines)

    def print_kitchen(self, job: dict[str, Any], routes: dict[str, list[dict[str, Any]]]) -> None:
        """Queue the tickets of `job` on the direct printers (`split_kitchen`'s routes)."""
        self.kitchen.print(job, routes)
