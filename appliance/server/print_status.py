"""What the kitchen and bar printers did, in the cashier's words.

`job_view(store, job_id)`: a job's state per printer, each with a message
for the cashier ("kitchen printer Cuisine is not answering: the ticket went
to Bar (backup)"); `printers_view(store)`: each printer's health as the
spooler last knew it (ok / down since when, the last error, the tickets
waiting for it). Both read the database only, so the admin API and the CLI
(another process) see the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from .catalogue import printer_list
from .printing import FAILED, PRINTED, QUEUED, UNCERTAIN, WAITING, latest_deliveries
from .storage import Store, print_deliveries, print_jobs, printer_health, tills

__all__ = [
    "delivery_message",
    "job_view",
    "printers_view",
    "station",
    "till_name",
    "waiting_counts",
]

#: What went wrong with a printer, after its name.
REASONS = {
    "printer_unreachable": "is not answering",
    "printer_not_answering": "is not answering",
    "paper_out": "is out of paper",
    "cover_open": "has its cover open",
    "printer_offline": "is offline",
    "bad_address": "has no usable address in its settings",
    "no_printer": "is no longer configured",
}


def station(printer: dict[str, Any] | None, printer_id: str) -> str:
    """`kitchen printer Cuisine`, `bar printer Bar`."""
    if printer is None:
        return f"printer {printer_id}"
    return f"{printer['kind']} printer {printer['name']}"


def _reason(code: str | None) -> str:
    return REASONS.get(code or "", f"failed ({code})" if code else "failed")


def _who(printer: dict[str, Any] | None) -> str:
    return "the bar" if printer is not None and printer["kind"] == "bar" else "the kitchen"


def delivery_message(d: dict[str, Any], printers: dict[str, dict[str, Any]]) -> str:
    """One delivery's state for the cashier; empty when there is nothing to say."""
    route_id = d["printer_id"]
    route = printers.get(route_id)
    used_id = d["sent_to"] or route_id
    used = printers.get(used_id)
    on_backup = used_id != route_id
    st = station(route, route_id)
    backup = f"{used['name'] if used else used_id} (backup)"
    state, error = d["state"], d["last_error"]
    text = ""
    if state == QUEUED:
        if on_backup:
            text = f"{st} {_reason(d['primary_error'])}: the ticket goes to {backup}"
        elif error:
            text = f"{st} {_reason(error)}: trying again"
    elif state == PRINTED:
        if on_backup:
            text = f"{st} {_reason(d['primary_error'])}: the ticket went to {backup}"
        elif error == "paper_near_end":
            text = f"{st}: the paper is running low"
    elif state == UNCERTAIN:
        where = backup if on_backup else st
        why = (
            "the server stopped while it was being sent"
            if error == "server_stopped"
            else f"the printer stopped during it ({error})"
        )
        text = (
            f"the ticket on {where} may be incomplete or missing: {why}; "
            "check it there and reprint a copy if needed"
        )
    elif state == FAILED:
        tell = f"nothing printed, tell {_who(route)}"
        if error == "expired":
            text = f"{st}: the ticket waited too long and was not printed; tell {_who(route)}"
        elif on_backup:
            text = f"{st} {_reason(d['primary_error'])} and {backup} {_reason(error)}: {tell}"
        else:
            text = f"{st} {_reason(error)}: {tell}"
    if text and d["copy"]:
        text = f"copy {d['copy']}: {text}"
    return text


def _delivery(r: Any, printers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    d = {
        "printer_id": r.printer_id,
        "printer": (printers.get(r.printer_id) or {}).get("name", r.printer_id),
        "copy": r.copy,
        "state": r.state,
        "sent_to": r.sent_to,
        "attempts": r.attempts,
        "last_error": r.last_error,
        "primary_error": r.primary_error,
        "updated_at": r.updated_at,
    }
    d["message"] = delivery_message(d, printers)
    return d


def job_view(store: Store, job_id: str) -> dict[str, Any] | None:
    """The job, its status, each delivery (copies included) and the cashier's message;
    None if there is no such job."""
    with store.read() as conn:
        job = conn.execute(select(print_jobs).where(print_jobs.c.job_id == job_id)).first()
        if job is None:
            return None
        printers = {p["printer_id"]: p for p in printer_list(conn)}
        rows = conn.execute(
            select(print_deliveries)
            .where(print_deliveries.c.job_id == job_id)
            .order_by(print_deliveries.c.copy, print_deliveries.c.printer_id)
        ).all()
        latest = {r.id for r in latest_deliveries(conn, job_id)}
    deliveries = [_delivery(r, printers) for r in rows]
    messages = [d["message"] for d, r in zip(deliveries, rows, strict=True) if r.id in latest]
    return {
        "job_id": job.job_id,
        "till_id": job.till_id,
        "status": job.status,
        "printers": orjson.loads(job.printers),
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "deliveries": deliveries,
        "message": "; ".join(m for m in messages if m),
    }


def waiting_counts(conn: Connection) -> dict[str, int]:
    """Printer id -> deliveries queued or being sent to it."""
    target = func.coalesce(print_deliveries.c.sent_to, print_deliveries.c.printer_id)
    rows = conn.execute(
        select(target, func.count()).where(print_deliveries.c.state.in_(WAITING)).group_by(target)
    ).all()
    return {str(t): int(n) for t, n in rows}


def printers_view(store: Store) -> list[dict[str, Any]]:
    """Each configured printer with its health: `state` ok | down | unknown (not
    reached since it was configured), `since`, `last_error`, `waiting`, `message`."""
    with store.read() as conn:
        printers = printer_list(conn)
        health = {r.printer_id: r for r in conn.execute(select(printer_health)).all()}
        waiting = waiting_counts(conn)
    out = []
    for p in printers:
        h = health.get(p["printer_id"])
        state = h.state if h is not None else "unknown"
        message = ""
        if state == "down" and h is not None:
            since = datetime.fromisoformat(h.since).astimezone().strftime("%d/%m %H:%M")
            message = f"{station(p, p['printer_id'])} {_reason(h.last_error)} since {since}"
        out.append(
            {
                **p,
                "state": state,
                "since": h.since if h is not None else None,
                "last_error": h.last_error if h is not None else None,
                "checked_at": h.updated_at if h is not None else None,
                "waiting": waiting.get(p["printer_id"], 0),
                "message": message,
            }
        )
    return out


def till_name(conn: Connection, till_id: int) -> str:
    name = conn.execute(select(tills.c.name).where(tills.c.id == till_id)).scalar()
    return str(name) if name else f"Caisse {till_id}"
