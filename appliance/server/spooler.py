"""The kitchen and bar print spooler: tickets to ESC/POS printers over TCP 9100.

`TcpSpooler(store, settings)` runs while the server runs (`start()` in the
app's lifespan, `stop()` at its end; nothing happens at import or creation).
It has one worker thread per printer (`print_worker.PrinterWorker`), so a
dead kitchen printer never delays the bar. Each worker takes the deliveries
queued for its printer from the database (`print_deliveries`, oldest first;
`submit` only wakes it, and it looks again every `poll_s`, so a copy asked
for by the CLI is found too).

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
from typing import Any

import orjson
from sqlalchemy import select

from drivers.printer import PAPER_80MM, Paper, Timeouts
from drivers.printer import network_printer as _network_printer

from .catalogue import printer_list
from .print_worker import Health, PrinterWorker, parse_address
from .printing import (
    FAILED,
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
        self._workers: dict[str, PrinterWorker] = {}
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

    def _worker(self, printer_id: str, health: Health | None = None) -> PrinterWorker:
        w = self._workers.get(printer_id)
        if w is None:
            w = self._workers[printer_id] = PrinterWorker(self, printer_id, health or Health())
            w.start()
        return w

    # -- shared by the workers -------------------------------------------------------
    def printer(self, printer_id: str) -> dict[str, Any] | None:
        with self.store.read() as conn:
            for p in printer_list(conn):
                if p["printer_id"] == printer_id:
                    return p
        return None
