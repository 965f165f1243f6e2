"""Kitchen and bar tickets: jobs stored idempotently, routed by category.

A job is stored once by `job_id`, with one delivery per printer its lines
route to (`print_deliveries`, state `queued`), in the same transaction: a job
the till was told about is never without its deliveries. Sending them to the
printers (ESC/POS over TCP 9100) is the spooler's work (`spooler.TcpSpooler`
when the server runs; `HoldingSpooler` only keeps them queued). The job's
`status` follows its deliveries: `queued` while one waits, then `failed` if a
station got nothing, `uncertain` if one may have printed, else `printed`.
A reprint adds a delivery marked as a copy; nothing else sends a ticket again.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, func, select

from appliance.domain import canonical, printers_by_category

from .catalogue import printer_list
from .storage import Store, now_iso, print_deliveries, print_jobs

__all__ = [
    "HoldingSpooler",
    "PrintRefused",
    "Spooler",
    "job_list",
    "job_status_of",
    "refresh_job_status",
    "reprint",
    "route",
    "submit_job",
]

#: Delivery states: waiting, bytes going out now, then one of the three ends.
QUEUED, SENDING, PRINTED, UNCERTAIN, FAILED = "queued", "sending", "printed", "uncertain", "failed"
WAITING = (QUEUED, SENDING)

log = logging.getLogger("autonome.server.printing")


class PrintRefused(ValueError):
    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Spooler(Protocol):
    """Takes a stored job to its printers; called after the job and its deliveries
    are committed. It must not block: printing happens on its own threads."""

    def submit(self, job_id: str, printers: list[dict[str, Any]], job: dict[str, Any]) -> None:
        """Start printing (asynchronously); the deliveries and the job's status say how
        it went."""


class HoldingSpooler:
    """Keeps every delivery queued (a server without its spooler running: tests, tools)."""

    def submit(self, job_id: str, printers: list[dict[str, Any]], job: dict[str, Any]) -> None:
        log.info("print job %s queued for %s", job_id, ", ".join(p["printer_id"] for p in printers))


def route(conn: Connection, job: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """printer_id -> the job's lines it prints. PrintRefused if a category has no printer."""
    by_category = {
        cat: p["printer_id"] for cat, p in printers_by_category(printer_list(conn)).items()
    }
    routes: dict[str, list[dict[str, Any]]] = {}
    orphans: list[str] = []
    for line in job["lines"]:
        printer = by_category.get(line.get("category", ""))
        if printer is None:
            orphans.append(line.get("category", "") or "(none)")
        else:
            routes.setdefault(printer, []).append(line)
    if orphans:
        cats = ", ".join(sorted(set(orphans)))
        raise PrintRefused(
            "no_printer",
            f"no kitchen or bar printer is configured for category {cats}; nothing was queued",
        )
    return routes


def submit_job(
    store: Store, job: dict[str, Any], spooler: Spooler | None = None
) -> tuple[dict[str, Any], bool]:
    """Store a job once by job_id: (its state, True if new). Same id, other content: 409."""
    body = canonical(job).decode()
    digest = hashlib.sha256(body.encode()).hexdigest()
    with store.write() as conn:
        row = conn.execute(select(print_jobs).where(print_jobs.c.job_id == job["job_id"])).first()
        if row is not None:
            if hashlib.sha256(row.body.encode()).hexdigest() != digest:
                raise PrintRefused(
                    "job_conflict", f"print job {job['job_id']} exists with other content", 409
                )
            return _state(row.job_id, row.status, orjson.loads(row.printers)), False
        routes = route(conn, job)
        now = now_iso()
        conn.execute(
            print_jobs.insert().values(
                job_id=job["job_id"],
                till_id=job["till_id"],
                printers=orjson.dumps(sorted(routes)).decode(),
                status="queued",
                body=body,
                created_at=now,
                updated_at=now,
            )
        )
        add_deliveries(conn, job["job_id"], routes, 0, now)
        targets = [p for p in printer_list(conn) if p["printer_id"] in routes]
    if spooler is not None:
        spooler.submit(job["job_id"], targets, job)
    return _state(job["job_id"], "queued", sorted(routes)), True


def _state(job_id: str, status: str, printers: list[str]) -> dict[str, Any]:
    return {"job_id": job_id, "status": status, "printers": printers}


def add_deliveries(
    conn: Connection, job_id: str, routes: dict[str, list[dict[str, Any]]], copy: int, now: str
) -> None:
    conn.execute(
        print_deliveries.insert(),
        [
            {
                "job_id": job_id,
                "printer_id": printer_id,
                "copy": copy,
                "lines": orjson.dumps(lines).decode(),
                "state": QUEUED,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for printer_id, lines in sorted(routes.items())
        ],
    )


def job_status_of(states: list[str]) -> str:
    """The job's status from the state of each route's latest delivery."""
    if any(s in WAITING for s in states):
        return QUEUED
    for end in (FAILED, UNCERTAIN):
        if end in states:
            return end
    return PRINTED


def latest_deliveries(conn: Connection, job_id: str) -> list[Any]:
    """Each route's latest delivery (the last copy asked for, or the first ticket)."""
    rows = conn.execute(
        select(print_deliveries)
        .where(print_deliveries.c.job_id == job_id)
        .order_by(print_deliveries.c.printer_id, print_deliveries.c.copy)
    ).all()
    latest: dict[str, Any] = {}
    for r in rows:
        latest[r.printer_id] = r
    return list(latest.values())


def refresh_job_status(conn: Connection, job_id: str) -> str | None:
    """Set the job's status from its deliveries (in the caller's transaction)."""
    rows = latest_deliveries(conn, job_id)
    if not rows:
        return None
    status = job_status_of([r.state for r in rows])
    conn.execute(
        print_jobs.update()
        .where(print_jobs.c.job_id == job_id, print_jobs.c.status != status)
        .values(status=status, updated_at=now_iso())
    )
    return status


def reprint(store: Store, job_id: str, printer_id: str | None = None) -> list[dict[str, Any]]:
    """A copy of the job's ticket for each of its printers (or only `printer_id`),
    queued for the spooler and marked as a copy on the paper. Refused (PrintRefused)
    for an unknown job or printer, or while that ticket is still waiting to print."""
    with store.write() as conn:
        job = conn.execute(select(print_jobs.c.job_id).where(print_jobs.c.job_id == job_id))
        if job.first() is None:
            raise PrintRefused("unknown_job", f"there is no print job {job_id}", 404)
        rows = latest_deliveries(conn, job_id)
        if printer_id is not None:
            rows = [r for r in rows if r.printer_id == printer_id]
            if not rows:
                raise PrintRefused(
                    "unknown_printer", f"print job {job_id} has no ticket for {printer_id}", 404
                )
        if not rows:
            raise PrintRefused("unknown_job", f"print job {job_id} has no ticket to print", 404)
        busy = [r.printer_id for r in rows if r.state in WAITING]
        if busy:
            raise PrintRefused(
                "still_printing",
                f"print job {job_id} is still waiting to print on {', '.join(busy)}: "
                "no copy until it is done",
                409,
            )
        copy = (
            conn.execute(
                select(func.max(print_deliveries.c.copy)).where(print_deliveries.c.job_id == job_id)
            ).scalar()
            or 0
        ) + 1
        routes = {r.printer_id: orjson.loads(r.lines) for r in rows}
        add_deliveries(conn, job_id, routes, copy, now_iso())
        refresh_job_status(conn, job_id)
    log.info("print job %s: copy %d asked for %s", job_id, copy, ", ".join(sorted(routes)))
    return [{"job_id": job_id, "printer_id": p, "copy": copy} for p in sorted(routes)]


def job_list(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(
            select(print_jobs).order_by(print_jobs.c.created_at.desc()).limit(limit)
        ).all()
    return [
        {**_state(r.job_id, r.status, orjson.loads(r.printers)), "created_at": r.created_at}
        for r in rows
    ]
