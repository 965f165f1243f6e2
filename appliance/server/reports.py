"""X and Z reports: a day's takings per till, per payment method and per VAT rate.

The day of a sale is its closing date in the server's local time zone. The X
report is live; the Z report closes a day: built once, numbered, stored, and
the same stored Z is returned when asked again (with any sale of that day
received after it shown apart as `late_sales`).

Payments are net of change: cash counts what stayed in the drawer. A meal
voucher's excess stays with the shop, so the payments add up to the total
plus `voucher_excess`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select

from appliance.domain import rate_label
from appliance.domain.figures import day_figures as domain_day_figures

from .gaps import pending
from .storage import Store, now_iso, sales, till_events, tills, z_reports

__all__ = ["ReportError", "close_day", "day_figures", "list_z", "today", "x_report"]


class ReportError(ValueError):
    """A report that cannot be made (a day that has not begun, a bad date)."""


def today() -> str:
    return datetime.now().astimezone().date().isoformat()


def _check_day(day: str) -> str:
    try:
        d = date.fromisoformat(day)
    except (TypeError, ValueError):
        raise ReportError(f"not a day (YYYY-MM-DD): {day!r}") from None
    if d.isoformat() > today():
        raise ReportError(f"{day} has not begun yet")
    return d.isoformat()


def day_figures(conn: Connection, day: str, *, received_after: str | None = None):
    """The figures of one day, computed from the stored sale records by the domain's
    one rule (`domain.figures`, the till's X report uses it too)."""
    q = select(sales.c.body).where(sales.c.day == day)
    if received_after is not None:
        q = q.where(sales.c.received_at > received_after)
    names = dict(conn.execute(select(tills.c.id, tills.c.name)).all())
    figures = domain_day_figures(
        [orjson.loads(body) for (body,) in conn.execute(q)],
        _cancels(conn, day, received_after),
    )
    for t in figures["tills"]:
        t["name"] = names.get(t["till_id"], f"till {t['till_id']}")
    for v in figures["vat"]:
        v["label"] = rate_label(v["vat_bp"])
    return {"day": day, **figures}


def _cancels(conn: Connection, day: str, received_after: str | None) -> list[dict[str, Any]]:
    """The data of the `sale_cancelled` events the tills sent of `day` (the server's
    local time zone, as the sales' days are)."""
    q = select(till_events.c.at, till_events.c.body).where(till_events.c.type == "sale_cancelled")
    if received_after is not None:
        q = q.where(till_events.c.received_at > received_after)
    found = []
    for at, body in conn.execute(q):
        try:
            local = datetime.fromisoformat(at).astimezone().date().isoformat()
        except ValueError:
            continue
        if local == day:
            data = orjson.loads(body).get("data")
            found.append(data if isinstance(data, dict) else {})
    return found


def x_report(store: Store, day: str | None = None) -> dict[str, Any]:
    """The live report of a day (today by default): nothing is stored."""
    day = _check_day(day or today())
    with store.read() as conn:
        figures = day_figures(conn, day)
    return {"kind": "X", "generated_at": now_iso(), **figures, "pending": _pending_texts(store)}


def _pending_texts(store: Store) -> list[str]:
    return [str(p["text"]) for p in pending(store)]


def close_day(store: Store, day: str | None = None) -> tuple[dict[str, Any], bool]:
    """The Z report of a day: (report, True) when made now, (stored one, False) after."""
    day = _check_day(day or today())
    existing = _stored_z(store, day)
    if existing is not None:
        return existing, False
    pending_now = _pending_texts(store)
    with store.write() as conn:
        row = conn.execute(select(z_reports.c.number).where(z_reports.c.day == day)).first()
        if row is None:
            figures = day_figures(conn, day)
            created = now_iso()
            body = {"kind": "Z", "generated_at": created, **figures, "pending": pending_now}
            conn.execute(
                z_reports.insert().values(
                    day=day, created_at=created, body=orjson.dumps(body).decode()
                )
            )
    report = _stored_z(store, day)
    assert report is not None
    return report, row is None


def _stored_z(store: Store, day: str) -> dict[str, Any] | None:
    with store.read() as conn:
        row = conn.execute(select(z_reports).where(z_reports.c.day == day)).first()
        if row is None:
            return None
        report = orjson.loads(row.body)
        report["number"] = row.number
        late = day_figures(conn, day, received_after=row.created_at)
    report["late_sales"] = {"sales": late["sales"], "total": late["total"]}
    return report


def list_z(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(
            select(z_reports.c.number, z_reports.c.day, z_reports.c.created_at).order_by(
                z_reports.c.number
            )
        ).all()
    return [{"number": r.number, "day": r.day, "created_at": r.created_at} for r in rows]
