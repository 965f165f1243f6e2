"""Kitchen and bar tickets: jobs stored idempotently, routed by category.

A job is kept with status `queued` and the printers its lines go to. Sending
it to the printer (ESC/POS over TCP 9100) is the spooler's work: `Spooler`
is the seam where a real one plugs in; `HoldingSpooler` only keeps jobs.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, select

from appliance.domain import canonical

from .catalogue import printer_list
from .storage import Store, now_iso, print_jobs

__all__ = ["HoldingSpooler", "PrintRefused", "Spooler", "route", "submit_job", "job_list"]

log = logging.getLogger("autonome.server.printing")


class PrintRefused(ValueError):
    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Spooler(Protocol):
    """Takes a stored job to its printers; called after the job is committed."""

    def submit(self, job_id: str, printers: list[dict[str, Any]], job: dict[str, Any]) -> None:
        """Start printing (asynchronously); update the job's status when done."""


class HoldingSpooler:
    """Keeps every job queued: the TCP 9100 spooler comes in a later issue."""

    def submit(self, job_id: str, printers: list[dict[str, Any]], job: dict[str, Any]) -> None:
        log.info("print job %s queued for %s", job_id, ", ".join(p["printer_id"] for p in printers))


def route(conn: Connection, job: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """printer_id -> the job's lines it prints. PrintRefused if a category has no printer."""
    by_category: dict[str, str] = {}
    for p in printer_list(conn):
        for cat in p["categories"]:
            by_category.setdefault(cat, p["printer_id"])
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
        targets = [p for p in printer_list(conn) if p["printer_id"] in routes]
    if spooler is not None:
        spooler.submit(job["job_id"], targets, job)
    return _state(job["job_id"], "queued", sorted(routes)), True


def _state(job_id: str, status: str, printers: list[str]) -> dict[str, Any]:
    return {"job_id": job_id, "status": status, "printers": printers}


def job_list(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(
            select(print_jobs).order_by(print_jobs.c.created_at.desc()).limit(limit)
        ).all()
    return [
        {**_state(r.job_id, r.status, orjson.loads(r.printers)), "created_at": r.created_at}
        for r in rows
    ]
