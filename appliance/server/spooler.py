"""The kitchen and bar print spooler: tickets to ESC/POS printers over TCP 9100.

`TcpSpooler(store, settings)` runs while the server runs (`start()` in the
app's lifespan, `stop()` at its end; nothing happens at import or creation).
It has one worker thread per printer, so a dead kitchen printer never delays
the bar. Each worker takes the deliveries queued for its printer from the
database (`print_deliveries`, oldest first; `submit` only wakes it, and it
looks again every `poll_s`, so a copy asked for by the CLI is found too).

One attempt, every wait bounded by `Timeouts` (a stalled printer costs at most
`status_s`, `write_s`):

1. the printer's status (DLE EOT): unreachable, not answering, cover open,
   paper out, offline -> nothing went out: the delivery stays `queued`;
2. the delivery is marked `sending`, durably, before the first byte;
3. the ticket's bytes, then the status again on the same connection (the
   acknowledgement). All well -> `printed`. Bytes went out only in part, the
   connection broke, the printer stopped answering or ran out of paper during
   the job -> `uncertain`: it may be on the pass, so it is never sent again by
   itself; only a reprint (a copy, marked COPIE) sends it again.

Nothing went out: retried with a backoff (`backoff_s` doubling up to
`backoff_max_s`, `attempts` in all), then handed to the printer's `backup`
(one hop), which gets its own attempts; nothing there either -> `failed`
(the cashier is told to tell the kitchen). A printer known to be down gets
one attempt before its tickets go to the backup. A server killed while a
delivery was `sending` finds it `uncertain` at the next start; `queued` ones
are sent then, unless older than `expire_s` (an order from last night is not
cooked this morning: `failed`, "expired").

Each worker keeps its printer's health: down after `down_after` failed
contacts in a row (or when a ticket gave up on it), logged once
(`printer_down`), probed every `probe_s` while down, back at the first good
status (`printer_back`, logged once). An idle printer that is fine is probed
every `idle_probe_s` (0: never). The health is written to `printer_health` so
the admin API and the CLI show it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select

from drivers.printer import PAPER_80MM, Paper, PrinterError, PrinterLink, Timeouts, render
from drivers.printer import network_printer as _network_printer
from drivers.printer.tickets import COPY_BANNER, kitchen_ticket

from .catalogue import printer_list
from .faults import crash_point
from .print_status import station, till_name
from .printing import (
    FAILED,
    PRINTED,
    QUEUED,
    SENDING,
    UNCERTAIN,
    PrintRefused,
    add_deliveries,
    refresh_job_status,
    route,
)
from .storage import Store, now_iso, print_deliveries, print_jobs, printer_health

__all__ = ["PrintSettings", "TcpSpooler", "parse_address", "recover"]

log = logging.getLogger("autonome.server.spooler")

#: An attempt that sent nothing: the ticket may be tried again, or elsewhere.
NOTHING_SENT = "nothing_sent"


@dataclass(frozen=True)
class PrintSettings:
    """How hard the spooler tries; `printing` in server.json overrides any of them."""

    attempts: int = 3  # on one printer, when nothing went out
    backoff_s: float = 0.5  # before the 2nd attempt; doubled each time
    backoff_max_s: float = 4.0
    connect_s: float = 3.0
    write_s: float = 10.0  # one whole ticket
    status_s: float = 1.0  # an answer to DLE EOT
    poll_s: float = 1.0  # a worker looks at its queue in the database this often
    probe_s: float = 5.0  # status of a printer that is down (or failing)
    idle_probe_s: float = 60.0  # status of an idle printer that is fine; 0: never
    down_after: int = 2  # failed contacts in a row
    expire_s: float = 1800.0  # a ticket queued longer is not printed any more

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"printing.{f.name} is a number, not {value!r}")
            if f.name in ("attempts", "down_after") and (int(value) != value or value < 1):
                raise ValueError(f"printing.{f.name} is a whole number from 1")
            low = value < 0 if f.name == "idle_probe_s" else value <= 0
            if low:
                raise ValueError(f"printing.{f.name} must be above 0")

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> PrintSettings:
        """From server.json's `printing` object (absent: the defaults)."""
        raw = settings.get("printing") or {}
        if not isinstance(raw, dict):
            raise ValueError("server.json: `printing` is an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"server.json: printing has no setting {', '.join(unknown)}")
        try:
            return cls(**raw)
        except ValueError as e:
            raise ValueError(f"server.json: {e}") from None

    @property
    def timeouts(self) -> Timeouts:
        return Timeouts(connect_s=self.connect_s, write_s=self.write_s, status_s=self.status_s)

    def backoff(self, n: int) -> float:
        """The wait after the (n+1)-th failed attempt."""
        return min(self.backoff_max_s, self.backoff_s * 2**n)


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


def recover(store: Store) -> list[Any]:
    """At start: what was `sending` when the server stopped becomes `uncertain`
    (its bytes may have gone out: never resent); jobs stored before deliveries
    existed get theirs. Returns the deliveries made uncertain."""
    now = now_iso()
    with store.write() as conn:
        rows = conn.execute(
            select(print_deliveries).where(print_deliveries.c.state == SENDING)
        ).all()
        for r in rows:
            conn.execute(
                print_deliveries.update()
                .where(print_deliveries.c.id == r.id)
                .values(state=UNCERTAIN, last_error="server_stopped", updated_at=now)
            )
            refresh_job_status(conn, r.job_id)
        orphans = conn.execute(
            select(print_jobs).where(
                print_jobs.c.status == QUEUED,
                print_jobs.c.job_id.not_in(select(print_deliveries.c.job_id)),
            )
        ).all()
        for job in orphans:
            try:
                routes = route(conn, orjson.loads(job.body))
            except PrintRefused:
                conn.execute(
                    print_jobs.update()
                    .where(print_jobs.c.job_id == job.job_id)
                    .values(status=FAILED, updated_at=now)
                )
                continue
            add_deliveries(conn, job.job_id, routes, 0, job.created_at)
    return rows


@dataclass
class Health:
    state: str = "unknown"  # ok | down | unknown (not reached yet)
    since: str | None = None
    last_error: str | None = None
    failures: int = 0  # failed contacts in a row
    next_probe: float = 0.0  # time.monotonic()


class TcpSpooler:
    """Kitchen and bar tickets to their printers, one worker thread per printer."""

    def __init__(
        self,
        store: Store,
        settings: PrintSettings | None = None,
        *,
        paper: Paper = PAPER_80MM,
        network_printer: Any = _network_printer,
    ) -> None:
        self.store = store
        self.settings = settings or PrintSettings()
        self.paper = paper
        self.network_printer = network_printer  # (host, port, timeouts=) -> a transport
        self.stopping = threading.Event()
        self._workers: dict[str, _Worker] = {}
        self._lock = threading.Lock()
        self._started = False

    # -- the server's side -----------------------------------------------------------
    def start(self) -> None:
        """Recover from the last run, then one worker per configured printer."""
        for r in recover(self.store):
            log.warning(
                "ticket_uncertain: job %s for %s (copy %d) was being sent when the server "
                "stopped: it may have printed; not sent again",
                r.job_id,
                r.sent_to or r.printer_id,
                r.copy,
            )
        with self.store.read() as conn:
            ids = [p["printer_id"] for p in printer_list(conn)]
            known = {r.printer_id: r for r in conn.execute(select(printer_health)).all()}
        with self._lock:
            self._started = True
            for pid in ids:
                h = known.get(pid)
                health = Health(h.state, h.since, h.last_error) if h is not None else Health()
                self._worker(pid, health)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the workers. One in the middle of a ticket is not waited for beyond
        `timeout`: its delivery stays `sending`, and becomes `uncertain` at the next start."""
        self.stopping.set()
        with self._lock:
            workers = list(self._workers.values())
        for w in workers:
            w.wake.set()
        deadline = time.monotonic() + timeout
        for w in workers:
            w.join(max(0.0, deadline - time.monotonic()))

    def submit(self, job_id: str, printers: list[dict[str, Any]], job: dict[str, Any]) -> None:
        for p in printers:
            self.wake(p["printer_id"])

    def wake(self, printer_id: str) -> None:
        with self._lock:
            if not self._started or self.stopping.is_set():
                return
            self._worker(printer_id).wake.set()

    def health(self) -> dict[str, Health]:
        with self._lock:
            return {pid: w.health for pid, w in self._workers.items()}

    def _worker(self, printer_id: str, health: Health | None = None) -> _Worker:
        w = self._workers.get(printer_id)
        if w is None:
            w = self._workers[printer_id] = _Worker(self, printer_id, health or Health())
            w.start()
        return w

    # -- shared by the workers -------------------------------------------------------
    def printer(self, printer_id: str) -> dict[str, Any] | None:
        with self.store.read() as conn:
            for p in printer_list(conn):
                if p["printer_id"] == printer_id:
                    return p
        return None


class _Worker(threading.Thread):
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
            route = next(
                (p for p in printer_list(conn) if p["printer_id"] == d.printer_id),
                {"name": d.printer_id, "kind": "kitchen"},
            )
        doc = kitchen_ticket(
            orjson.loads(job.body),
            printer_name=route["name"],
            lines=orjson.loads(d.lines),
            printed_at=datetime.now().astimezone(),
            till_name=till,
            paper=self.spooler.paper,
            banner=COPY_BANNER if d.copy else "",
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
