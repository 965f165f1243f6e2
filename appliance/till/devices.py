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
  kicked if, and only if, the sale has a cash payment. Events:
  `receipt_printed`, `receipt_not_printed`, `receipt_uncertain` (with the
  cashier's message and, for a simulated printer, the PNG), `drawer_opened`.
  The sale is in the outbox before any of it: a failed print loses nothing,
  and a receipt is never sent twice (its job id is the sale id);
  `reprint_last()` prints the last sale's receipt again, marked DUPLICATA.
- `open_drawer(reason)`: a logged-in manager only. Every opening is a
  `drawer_opened` journal event; the drawer is opened on no other occasion.
- `device_status`: printer, scanner, drawer (and the direct kitchen
  printers), published when it changes; the printer's status is read at most
  every `status_every_s` seconds, in the device thread, when it is idle.
- Kitchen lines routed to a direct printer configured here are printed by
  the till (`print_kitchen`), in either mode, in a thread of their own.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.domain import EventType
from drivers.printer import MESSAGES, NOT_PRINTED, PRINTED, PrinterError, PrintResult, Timeouts

from .devconfig import DevicesConfig, load_devices
from .hardware import Hardware, build_hardware
from .kitchen import split_direct
from .receipt import receipt_document, store_time

if TYPE_CHECKING:
    from drivers.printer import Document, PrinterStatus

    from .session import Till

__all__ = ["DUPLICATA", "TillDevices"]

log = logging.getLogger(__name__)

DUPLICATA = "DUPLICATA"
RECEIPTS_DIR = "receipts"
_STOP = object()


def _till_name(till: Till) -> str:
    return f"Caisse {till.till_id}"


class TillDevices:
    def __init__(
        self,
        till: Till,
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
        self.hw: Hardware = Hardware(self.config)
        self.receipts_dir = Path(till.data_dir) / RECEIPTS_DIR
        self._work: queue.Queue[Any] = queue.Queue()
        self._kitchen_work: queue.Queue[Any] = queue.Queue()
        self._scans: queue.Queue[Any] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._copies: dict[str, int] = {}
        self._handled: OrderedDict[str, None] = OrderedDict()
        self._last_poll = 0.0
        self._status: dict[str, Any] = self._initial_status()
        self._published: dict[str, Any] | None = None
        self.started = False

    # -- life ----------------------------------------------------------------------------
    @classmethod
    def attach(cls, till: Till, config: DevicesConfig | None = None, **kw: Any) -> TillDevices:
        """Build the devices of `till` (its devices.toml unless `config`), start them and
        hang them on the till (`till.devices`). Call it once the till is open."""
        devices = cls(till, config, **kw)
        devices.start()
        return devices

    def start(self) -> None:
        if self.started:
            return
        cat = self.till.catalogue
        self.hw = build_hardware(
            self.config,
            self._scanner_event,
            backend=self.backend,
            timeouts=self.timeouts,
            snapshot_printers=list(getattr(cat, "printers", None) or []),
            scanner_poll_s=self.scanner_poll_s,
        )
        self._status = self._initial_status()
        self.till.devices = self
        self._unsubscribe = self.till.bus.subscribe(self._till_event)
        for name, target in (
            ("devices", self._device_loop),
            ("kitchen-printers", self._kitchen_loop),
            ("scans", self._scan_loop),
        ):
            t = threading.Thread(target=target, name=name, daemon=True)
            self._threads.append(t)
            t.start()
        if self.hw.scanner is not None:
            self.hw.scanner.start()
        self.started = True
        self._publish_status()

    def stop(self, timeout: float = 15.0) -> None:
        """Finish what is queued (a receipt being printed), then close the devices."""
        if not self.started:
            return
        self.started = False
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.hw.scanner is not None:
            self.hw.scanner.stop()
        for q in (self._work, self._kitchen_work, self._scans):
            q.put(_STOP)
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()
        self.hw.close()
        if getattr(self.till, "devices", None) is self:
            self.till.devices = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until every queued job is done (tests, the CLI); False on timeout."""
        deadline = time.monotonic() + timeout
        for q in (self._scans, self._work, self._kitchen_work):
            while q.unfinished_tasks:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.005)
        return True

    @property
    def sim(self) -> Any:
        return self.hw.sim

    # -- the till's events ---------------------------------------------------------------
    def _till_event(self, event: dict[str, Any]) -> None:
        if event.get("event") != "sale_closed" or self.hw.printer is None:
            return
        record = getattr(self.till, "last_sale", None)
        if not record or record.get("sale_id") != event.get("sale_id"):
            record = self.till.outbox.last_record()
        if not record or record.get("sale_id") != event.get("sale_id"):
            log.error("sale %s: its record cannot be read: no receipt", event.get("sale_id"))
            return
        self._work.put(("sale", record))

    # -- the scanner ---------------------------------------------------------------------
    def _scanner_event(self, event: dict[str, Any]) -> None:
        """From the scanner's read loop: hand over and return at once."""
        self._scans.put(event)

    def _scan_loop(self) -> None:
        while True:
            event = self._scans.get()
            try:
                if event is _STOP:
                    return
                self._on_scanner(event)
            except Exception:
                log.exception("scanner event %s", event.get("event"))
            finally:
                self._scans.task_done()

    def _on_scanner(self, event: dict[str, Any]) -> None:
        name = event.get("event", "")
        fields = {k: v for k, v in event.items() if k != "event"}
        scanner = dict(self._status["scanner"])
        if name == "scanner_connected":
            scanner.update(state="connected", device=event.get("device"), message="")
        elif name == "scanner_disconnected":
            scanner.update(state="disconnected", message=event.get("message", ""))
        elif name == "scanner_error":
            scanner.update(state="error", error=event.get("error"), message=event.get("message"))
        if scanner != self._status["scanner"]:
            self._set_status("scanner", scanner)
        self.till.bus.publish(name, **fields)
        if name == "scanner_code":
            self.till.scan(str(event.get("code", "")))

    # -- receipts and the drawer ---------------------------------------------------------
    def reprint_last(self) -> bool:
        """Queue a copy of the last sale's receipt (marked DUPLICATA)."""
        if self.hw.printer is None:
            self.till.error("no_printer", "no receipt printer is configured on this till")
            return False
        self._work.put(("reprint", None))
        return True

    def open_drawer(self, reason: str = "") -> bool:
        """A manager's "open drawer" (not for a sale): refused to anyone else."""
        till = self.till
        with till.lock:
            cashier = dict(till.cashier) if till.cashier else None
        if cashier is None:
            till.error("not_logged_in", "log in first: only a manager opens the drawer")
            return False
        cat = till.catalogue
        row = cat.cashier(cashier["cashier_id"]) if cat is not None else None
        role = str((row or {}).get("role") or "cashier")
        if role != "manager":
            till.error(
                "drawer_refused",
                f"only a manager can open the cash drawer outside a cash sale "
                f"({cashier.get('name') or cashier['cashier_id']} is a {role})",
            )
            return False
        if self.hw.drawer is None:
            till.error("no_drawer", "no cash drawer is configured on this till")
            return False
        why = str(reason or "").strip() or "manager"
        self._work.put(("drawer", {"cashier_id": cashier["cashier_id"], "reason": why}))
        return True

    def _device_loop(self) -> None:
        while True:
            wait = max(0.05, self._last_poll + self.status_every_s - time.monotonic())
            try:
                job = self._work.get(timeout=wait)
            except queue.Empty:
                self._poll()
                continue
            try:
                if job is _STOP:
                    return
                kind, arg = job
                if kind == "sale":
                    self._sale(arg)
                elif kind == "reprint":
                    self._reprint()
                elif kind == "drawer":
                    self._kick(**arg)
                elif kind == "call":
                    arg()
            except Exception:
                log.exception("device job %s failed", job[0] if isinstance(job, tuple) else job)
            finally:
                self._work.task_done()

    def run_in_device_thread(self, fn: Callable[[], Any]) -> None:
        """Queue `fn` behind the receipts (the CLI's test print)."""
        self._work.put(("call", fn))

    def receipt_for(self, record: dict[str, Any]) -> Document:
        till = self.till
        cat = till.catalogue
        cid = str(record.get("cashier_id") or "")
        row = cat.cashier(cid) if cat is not None and cid else None
        return receipt_document(
            record,
            store=getattr(cat, "store", None) or {},
            till_name=_till_name(till),
            cashier_name=str((row or {}).get("name") or cid),
            paper=self.hw.paper,
        )

    def _sale(self, record: dict[str, Any]) -> None:
        sale_id = str(record["sale_id"])
        if sale_id in self._handled:  # a receipt and a drawer opening per sale, once
            log.warning("sale %s was handled already: no second receipt", sale_id)
            return
        self._handled[sale_id] = None
        while len(self._handled) > 1000:
            self._handled.popitem(last=False)
        if self.hw.printer is not None:
            result = self.hw.printer.print(str(record["sale_id"]), self.receipt_for(record))
            self._receipt_result(record, result)
        if self.hw.drawer is not None and any(
            p.get("method") == "cash" for p in record.get("payments") or []
        ):
            self._kick(
                cashier_id=record.get("cashier_id"), sale_id=record["sale_id"], seq=record["seq"]
            )

    def _reprint(self) -> None:
        record = getattr(self.till, "last_sale", None) or self.till.outbox.last_record()
        if not record or "sale_id" not in record:
            self.till.error("nothing_to_reprint", "no sale has been recorded on this till yet")
            return
        sale_id = str(record["sale_id"])
        with self._lock:
            self._copies[sale_id] = n = self._copies.get(sale_id, 0) + 1
        doc = self.receipt_for(record).with_banner(DUPLICATA)
        result = self.hw.printer.print(f"{sale_id}/copy-{n}", doc)  # type: ignore[union-attr]
        self._receipt_result(record, result, copy=n)

    def _receipt_result(self, record: dict[str, Any], result: PrintResult, copy: int = 0) -> None:
        self._printer_result(result)
        seq = record["seq"]
        fields: dict[str, Any] = {
            "sale_id": record["sale_id"],
            "seq": seq,
            "job_id": result.job_id,
            "state": result.state,
            "problems": list(result.problems),
            "duplicate": bool(copy),
        }
        if copy:
            fields["copy"] = copy
        went_out = result.state != NOT_PRINTED
        png = self._save_png("last.png", self.hw.sim.printer) if went_out else None
        if png is not None:
            fields["png"] = png
        what = f"the copy of receipt no. {seq}" if copy else f"the receipt of sale no. {seq}"
        if result.state == PRINTED:
            self.till.bus.publish("receipt_printed", message=result.message, **fields)
            if copy:
                self.till.events.record(
                    EventType.RECEIPT_REPRINTED, sale_id=record["sale_id"], seq=seq, copy=copy
                )
            return
        if result.state == NOT_PRINTED:
            message = (
                f"{result.message} {what[0].upper()}{what[1:]} did not print; the sale is "
                "recorded: reprint its receipt once the printer is ready."
            )
            name = "receipt_not_printed"
        else:
            message = (
                f"{result.message} {what[0].upper()}{what[1:]} may be incomplete: check it, "
                "and reprint it if needed (a copy is marked DUPLICATA)."
            )
            name = "receipt_uncertain"
        self.till.bus.publish(name, message=message, printer_message=result.message, **fields)
        if copy:
            if result.state != NOT_PRINTED:
                self.till.events.record(
                    EventType.RECEIPT_REPRINTED, sale_id=record["sale_id"], seq=seq, copy=copy,
                    state=result.state,
                )  # fmt: skip
            return
        self.till.events.record(
            EventType.RECEIPT_NOT_PRINTED,
            sale_id=record["sale_id"],
            seq=seq,
            state=result.state,
            problems=list(result.problems),
        )

    def _kick(
        self,
        *,
        cashier_id: Any,
        sale_id: str | None = None,
        seq: int | None = None,
        reason: str | None = None,
    ) -> None:
        drawer = self.hw.drawer
        if drawer is None:
            return
        try:
            drawer.kick()
        except PrinterError as e:
            self._set_status("drawer", {"state": "unknown"})
            self.till.error(
                "drawer_not_opened",
                f"the cash drawer did not open: {e.message}",
                sale_id=sale_id,
                reason=reason,
            )
            return
        data: dict[str, Any] = {"cashier_id": cashier_id}
        if sale_id is not None:
            data.update(sale_id=sale_id, seq=seq)
        else:
            data["reason"] = reason
        self.till.events.record(EventType.DRAWER_OPENED, **data)
        self.till.bus.publish("drawer_opened", **data)
        self._poll(force=True)

    # -- status --------------------------------------------------------------------------
    def _initial_status(self) -> dict[str, Any]:
        cfg = self.config
        hw = self.hw
        return {
            "printer": {"state": "unknown", "code": None, "message": "", "name": hw.printer_name}
            if cfg.printer
            else {"state": "none"},
            "scanner": {"state": "disconnected", "device": None, "message": ""}
            if cfg.scanner
            else {"state": "none"},
            "drawer": {"state": "unknown"} if cfg.drawer else {"state": "none"},
            "kitchen": {pid: {"state": "unknown", "message": ""} for pid in hw.kitchen},
        }

    def device_status(self) -> dict[str, Any]:
        with self._lock:
            return {k: (dict(v) if isinstance(v, dict) else v) for k, v in self._status.items()}

    def _set_status(self, part: str, value: Any) -> None:
        with self._lock:
            self._status[part] = value
        self._publish_status()

    def _publish_status(self) -> None:
        status = self.device_status()
        with self._lock:
            if status == self._published:
                return
            self._published = status
        self.till.bus.publish("device_status", **status)

    def _poll(self, force: bool = False) -> None:
        """Read the printer's status (and the drawer's, in the same answer)."""
        now = time.monotonic()
        if self.hw.link is None or (not force and now - self._last_poll < self.status_every_s):
            return
        self._last_poll = now
        try:
            status = self.hw.link.status()
        except PrinterError as e:
            self._printer_problem(e.code, MESSAGES.get(e.code, e.message))
            return
        self._printer_ok(status)

    def _printer_result(self, result: PrintResult) -> None:
        self._last_poll = time.monotonic()
        if result.status is not None:
            self._printer_ok(result.status)
        elif result.problems:
            code = result.problems[0]
            self._printer_problem(code, MESSAGES.get(code, result.message))

    def _printer_ok(self, status: PrinterStatus) -> None:
        problems = status.problems
        printer = {
            "state": "ok" if not problems else "problem" if not status.can_print else "warning",
            "code": problems[0] if problems else None,
            "message": status.message,
            "name": self.hw.printer_name,
        }
        with self._lock:
            self._status["printer"] = printer
            if self.hw.drawer is not None:
                is_open = status.drawer_pin3_high == self.hw.drawer.config.open_is_high
                self._status["drawer"] = {"state": "open" if is_open else "closed"}
        self._publish_status()

    def _printer_problem(self, code: str, message: str) -> None:
        with self._lock:
            self._status["printer"] = {
                "state": "problem",
                "code": code,
                "message": message,
                "name": self.hw.printer_name,
            }
            if self.hw.drawer is not None:
                self._status["drawer"] = {"state": "unknown"}
        self._publish_status()

    # -- kitchen printers ----------------------------------------------------------------
    @property
    def direct_kitchen(self) -> frozenset[str]:
        return frozenset(self.hw.kitchen)

    def split_kitchen(
        self, lines: list[dict[str, Any]]
    ) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
        """(printer id -> lines this till prints there, lines for the server)."""
        printers = list(getattr(self.till.catalogue, "printers", None) or [])
        return split_direct(lines, printers, self.direct_kitchen)

    def print_kitchen(self, job: dict[str, Any], routes: dict[str, list[dict[str, Any]]]) -> None:
        """Queue the tickets of `job` on the direct printers (`split_kitchen`'s routes)."""
        for pid, lines in routes.items():
            self._kitchen_work.put((job, pid, lines))

    def _kitchen_loop(self) -> None:
        while True:
            item = self._kitchen_work.get()
            try:
                if item is _STOP:
                    return
                self._kitchen(*item)
            except Exception:
                log.exception("kitchen ticket failed")
            finally:
                self._kitchen_work.task_done()

    def _printer_row(self, pid: str) -> dict[str, Any]:
        for p in getattr(self.till.catalogue, "printers", None) or []:
            if str(p.get("printer_id")) == pid:
                return p
        return {"printer_id": pid, "name": pid}

    def _kitchen(self, job: dict[str, Any], pid: str, lines: list[dict[str, Any]]) -> None:
        from drivers.printer.tickets import kitchen_ticket

        row = self._printer_row(pid)
        station = str(row.get("name") or pid)
        kind = "bar" if row.get("kind") == "bar" else "kitchen"
        store = getattr(self.till.catalogue, "store", None) or {}
        printed_at = store_time(self.till.now().isoformat(), store.get("timezone"))
        result: PrintResult | None = None
        printed_on = pid
        for target in dict.fromkeys([pid, str(row.get("backup") or "")]):
            kp = self.hw.kitchen.get(target)
            if kp is None:
                continue
            doc = kitchen_ticket(
                job, printer_name=station, lines=lines, printed_at=printed_at,
                till_name=_till_name(self.till), paper=kp.paper, kind=kind,
            )  # fmt: skip
            result, printed_on = kp.printer.print(f"{job['job_id']}/{pid}", doc), target
            self._kitchen_status(target, result)
            if result.state != NOT_PRINTED:
                break
        if result is None:
            log.error("kitchen printer %s is not configured on this till", pid)
            return
        fields: dict[str, Any] = {
            "job_id": job["job_id"],
            "printer_id": pid,
            "printer_name": station,
            "printed_on": printed_on,
            "lines": len(lines),
            "state": result.state,
            "problems": list(result.problems),
        }
        sim = self.hw.sim.kitchen.get(printed_on) if result.state != NOT_PRINTED else None
        png = self._save_png(f"kitchen-{printed_on}.png", sim)
        if png is not None:
            fields["png"] = png
        if result.state == PRINTED:
            self.till.bus.publish("kitchen_printed", **fields)
            return
        said = result.message.replace("The receipt printer", f"The {station} printer")
        if result.state == NOT_PRINTED:
            message = f"{said} The {station} ticket did not print: tell the {kind} yourself."
            self.till.bus.publish("kitchen_not_printed", message=message, **fields)
        else:
            message = f"{said} The {station} ticket may be incomplete: check it at the {kind}."
            self.till.bus.publish("kitchen_uncertain", message=message, **fields)

    def _kitchen_status(self, pid: str, result: PrintResult) -> None:
        problems = list(result.problems)
        state = "ok" if result.state == PRINTED and not problems else (
            "warning" if result.state == PRINTED else "problem")  # fmt: skip
        value = {"state": state, "message": result.message}
        with self._lock:
            kitchen = dict(self._status.get("kitchen") or {})
            kitchen[pid] = value
            self._status["kitchen"] = kitchen
        self._publish_status()

    # -- simulated printers --------------------------------------------------------------
    def _save_png(self, name: str, printer: Any) -> str | None:
        """A simulated printer's last ticket as a PNG in the data folder's receipts/."""
        if printer is None:
            return None
        from drivers.sim.paper import paper_png, paper_text

        pieces = printer.core.receipts()
        if not pieces:
            return None
        self.receipts_dir.mkdir(parents=True, exist_ok=True)
        path = self.receipts_dir / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(paper_png(pieces[-1], printer.core.dots))
        tmp.replace(path)
        with contextlib.suppress(OSError):
            text = paper_text(pieces[-1], printer.core.columns)
            path.with_suffix(".txt").write_text(text, encoding="utf-8")
        return str(path)
