"""One kitchen or bar printer's worker: its queue, its attempts, its health.

`PrinterWorker` is a thread of `spooler.TcpSpooler` (see there for the
states and the rules). It takes the oldest delivery queued for its printer,
lays the ticket out (`drivers.printer.tickets`), and tries it: status, the
delivery committed as `sending`, the bytes, status again. It keeps one
`PrinterLink` (it remembers a ticket that broke off, so the next starts by
clearing the printer's buffers) and closes the connection after each ticket
or probe. Its printer's health is written to `printer_health` on change.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import func, select

from appliance.system.crash import crash_point
from drivers.printer import PrinterError, PrinterLink, render
from drivers.printer.tickets import COPY_BANNER, kitchen_ticket

from .catalogue import printer_list
from .identity import META_KEY as IDENTITY_KEY
from .identity import store_now
from .print_status import station, till_name
from .printing import FAILED, PRINTED, QUEUED, SENDING, UNCERTAIN, refresh_job_status
from .storage import now_iso, print_deliveries, print_jobs, printer_health

if TYPE_CHECKING:
    from .spooler import TcpSpooler

__all__ = ["Health", "PrinterWorker", "parse_address"]

log = logging.getLogger("autonome.server.spooler")

#: An attempt that sent nothing: the ticket may be tried again, or elsewhere.
NOTHING_SENT = "nothing_sent"


def parse_address(address: str) -> tuple[str, int]:
    """`host:port` (port 9100 if left out; `[v6]:port` for IPv6)."""
    text = address.strip()
    host, port = text, "9100"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":") or port
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"not a printer address host:port: {address!r}")
    return host, int(port)


@dataclass
class Health:
    state: str = "unknown"  # ok | down | unknown (not reached yet)
    since: str | None = None
    last_error: str | None = None
    failures: int = 0  # failed contacts in a row
    next_probe: float = 0.0  # time.monotonic()


class PrinterWorker(threading.Thread):
    """One printer: its queue, its attempts, its health."""

    def __init__(self, spooler: TcpSpooler, printer_id: str, health: Health) -> None:
        super().__init__(name=f"autonome-printer-{printer_id}", daemon=True)
        self.spooler = spooler
        self.settings = spooler.settings
        self.store = spooler.store
        self.printer_id = printer_id
        self.health = health
        self.wake = threading.Event()
        self._held: tuple[str, PrinterLink] | None = None  # (address, link)

    def _link(self, printer: dict[str, Any]) -> PrinterLink:
        """The printer's link, kept between tickets (it remembers a ticket that broke
        off) and made again when the address changes; ValueError for a bad address.
        Its connection is closed after each ticket or probe: other tills may print
        to the same printer."""
        address = printer["address"]
        if self._held is None or self._held[0] != address:
            host, port = parse_address(address)
            timeouts = self.settings.timeouts
            transport = self.spooler.network_printer(host, port, timeouts=timeouts)
            self._held = (address, PrinterLink(transport, timeouts))
        return self._held[1]

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> None:
        stopping = self.spooler.stopping
        while not stopping.is_set():
            self.wake.clear()
            try:
                d = self._next()
                if d is not None:
                    self._deliver(d)
                    continue
                if time.monotonic() >= self.health.next_probe:
                    self._probe()
            except Exception:
                if stopping.is_set():
                    return
                log.exception("printer %s: spooler error", self.printer_id)
            self.wake.wait(self._idle_wait())

    def _idle_wait(self) -> float:
        left = self.health.next_probe - time.monotonic()
        return max(0.01, min(self.settings.poll_s, left))

    def _next(self) -> Any:
        target = func.coalesce(print_deliveries.c.sent_to, print_deliveries.c.printer_id)
        with self.store.read() as conn:
            return conn.execute(
                select(print_deliveries)
                .where(print_deliveries.c.state == QUEUED, target == self.printer_id)
                .order_by(print_deliveries.c.id)
                .limit(1)
            ).first()

    # -- one delivery ----------------------------------------------------------------
    def _deliver(self, d: Any) -> None:
        s = self.settings
        created = datetime.fromisoformat(d.created_at)
        if (datetime.now(created.tzinfo) - created).total_seconds() > s.expire_s:
            self._end(d, FAILED, "expired")
            log.warning("ticket_failed: job %s for %s queued too long: not printed",
                        d.job_id, d.printer_id)  # fmt: skip
            return
        printer = self.spooler.printer(self.printer_id)
        if printer is None:
            self._end(d, FAILED, "no_printer")
            return
        try:
            data = self._ticket(d)
        except Exception as e:  # a job that cannot be laid out must not block the queue
            self._end(d, FAILED, "bad_ticket")
            log.error("ticket_failed: job %s for %s cannot be laid out: %s", d.job_id,
                      d.printer_id, e)  # fmt: skip
            return
        budget = 1 if self.health.state == "down" else s.attempts
        code = "printer_unreachable"
        for n in range(budget):
            if self.spooler.stopping.is_set():
                return  # stays queued for the next start
            outcome, code = self._attempt(d, printer, data)
            if outcome != NOTHING_SENT:
                return
            if n + 1 < budget and self.spooler.stopping.wait(s.backoff(n)):
                return
        self._gave_up(code)
        self._elsewhere(d, printer, code)

    def _elsewhere(self, d: Any, printer: dict[str, Any], code: str) -> None:
        """Nothing went out here: to the backup if this is the route's printer and it
        has one, else failed."""
        backup = printer.get("backup")
        first_hop = (d.sent_to or d.printer_id) == d.printer_id
        if first_hop and backup and backup != self.printer_id and self.spooler.printer(backup):
            self._update(d, state=QUEUED, sent_to=backup, primary_error=code)
            log.warning("ticket_backup: job %s for %s goes to %s (backup): %s",
                        d.job_id, d.printer_id, backup, code)  # fmt: skip
            self.spooler.wake(backup)
            return
        self._end(d, FAILED, code)
        log.warning("ticket_failed: job %s for %s: nothing printed (%s)",
                    d.job_id, d.printer_id, code)  # fmt: skip

    def _ticket(self, d: Any) -> bytes:
        with self.store.read() as conn:
            job = conn.execute(select(print_jobs).where(print_jobs.c.job_id == d.job_id)).one()
            till = till_name(conn, job.till_id)
            identity = self.store.get_meta(conn, IDENTITY_KEY)
            route = next(
                (p for p in printer_list(conn) if p["printer_id"] == d.printer_id),
                {"name": d.printer_id, "kind": "kitchen"},
            )
        body = orjson.loads(job.body)
        doc = kitchen_ticket(
            body,
            printer_name=route["name"],
            lines=orjson.loads(d.lines),
            printed_at=store_now(orjson.loads(identity) if identity else {}),
            till_name=till,
            paper=self.spooler.paper,
            banner=COPY_BANNER if d.copy or body.get("reprint") else "",
            kind=route["kind"],
        )
        return render(doc, self.spooler.paper)

    def _attempt(self, d: Any, printer: dict[str, Any], data: bytes) -> tuple[str, str]:
        """One try on this printer: (PRINTED | UNCERTAIN | NOTHING_SENT, error code)."""
        try:
            link = self._link(printer)
        except ValueError:
            return self._nothing(d, "bad_address")
        try:
            try:
                before = link.status()
            except PrinterError as e:
                return self._nothing(d, e.code)
            if not before.can_print:
                return self._nothing(d, before.problems[0])
            self._contact_ok()
            self._update(
                d, state=SENDING, sent_to=self.printer_id, attempts=print_deliveries.c.attempts + 1
            )
            crash_point("print_sending")
            try:
                link.send(data)
            except PrinterError as e:
                if e.sent == 0:
                    self._update(d, state=QUEUED, last_error=e.code)
                    self._contact_failed(e.code)
                    return NOTHING_SENT, e.code
                return self._uncertain(d, e.code)
            crash_point("print_sent")
            try:
                after = link.status(reconnect=False)
            except PrinterError as e:
                return self._uncertain(d, e.code)
            if not after.can_print:
                return self._uncertain(d, after.problems[0])
            warning = "paper_near_end" if after.paper_near_end else None
            self._end(d, PRINTED, warning, sent_to=self.printer_id)
            log.info("ticket_printed: job %s for %s on %s%s", d.job_id, d.printer_id,
                     self.printer_id, f" (copy {d.copy})" if d.copy else "")  # fmt: skip
            return PRINTED, ""
        finally:
            link.close()

    def _nothing(self, d: Any, code: str) -> tuple[str, str]:
        with self.store.write() as conn:
            conn.execute(
                print_deliveries.update()
                .where(print_deliveries.c.id == d.id)
                .values(
                    attempts=print_deliveries.c.attempts + 1, last_error=code, updated_at=now_iso()
                )
            )
        self._contact_failed(code)
        return NOTHING_SENT, code

    def _uncertain(self, d: Any, code: str) -> tuple[str, str]:
        if self._held is not None:
            # the printer may be waiting for the rest of a command: the next ticket
            # starts with DLE DC4 8 (clear buffers) so that it is not eaten
            self._held[1].interrupted = True
        self._end(d, UNCERTAIN, code, sent_to=self.printer_id)
        self._contact_failed(code)
        log.warning(
            "ticket_uncertain: job %s for %s on %s broke off (%s): it may be incomplete; "
            "not sent again",
            d.job_id,
            d.printer_id,
            self.printer_id,
            code,
        )
        return UNCERTAIN, code

    def _end(self, d: Any, state: str, error: str | None, **values: Any) -> None:
        self._update(d, state=state, last_error=error, **values)

    def _update(self, d: Any, **values: Any) -> None:
        """Change the delivery (and its job's status), committed before anything else."""
        with self.store.write() as conn:
            conn.execute(
                print_deliveries.update()
                .where(print_deliveries.c.id == d.id)
                .values(**values, updated_at=now_iso())
            )
            refresh_job_status(conn, d.job_id)

    # -- health --------------------------------------------------------------------------
    def _probe(self) -> None:
        printer = self.spooler.printer(self.printer_id)
        if printer is None:
            self.health.next_probe = time.monotonic() + self.settings.probe_s
            return
        try:
            link = self._link(printer)
        except ValueError:
            self._contact_failed("bad_address")
            return
        try:
            status = link.status()
        except PrinterError as e:
            self._contact_failed(e.code)
            return
        finally:
            link.close()
        if status.can_print:
            self._contact_ok()
        else:
            self._contact_failed(status.problems[0])

    def _schedule(self) -> None:
        h, s = self.health, self.settings
        if h.state == "ok" and h.failures == 0:
            wait = s.idle_probe_s if s.idle_probe_s > 0 else float("inf")
        else:
            wait = s.probe_s
        h.next_probe = time.monotonic() + wait

    def _contact_ok(self) -> None:
        h = self.health
        was = h.state
        h.failures = 0
        if was != "ok":
            h.state, h.since = "ok", now_iso()
            self._save()
            if was == "down":
                log.warning(
                    "printer_back: %s (%s) answers again", self._station_name(), self.printer_id
                )
        self._schedule()

    def _contact_failed(self, code: str) -> None:
        h = self.health
        h.failures += 1
        changed = h.last_error != code
        h.last_error = code
        if h.state != "down" and h.failures >= self.settings.down_after:
            self._down(code)
        elif changed and h.state != "unknown":
            self._save()
        self._schedule()

    def _gave_up(self, code: str) -> None:
        """A ticket gave up on this printer: it is down, whatever the count says."""
        if self.health.state != "down":
            self._down(code)
            self._schedule()

    def _down(self, code: str) -> None:
        h = self.health
        h.state, h.since, h.last_error = "down", now_iso(), code
        self._save()
        printer = self.spooler.printer(self.printer_id) or {}
        log.warning("printer_down: %s (%s, %s) %s: %s", self._station_name(), self.printer_id,
                    printer.get("address", "?"), "does not print", code)  # fmt: skip

    def _station_name(self) -> str:
        return station(self.spooler.printer(self.printer_id), self.printer_id)

    def _save(self) -> None:
        h = self.health
        row = {
            "state": h.state,
            "since": h.since or now_iso(),
            "last_error": h.last_error,
            "updated_at": now_iso(),
        }
        with self.store.write() as conn:
            done = conn.execute(
                printer_health.update()
                .where(printer_health.c.printer_id == self.printer_id)
                .values(**row)
            )
            if done.rowcount == 0:
                conn.execute(printer_health.insert().values(printer_id=self.printer_id, **row))
