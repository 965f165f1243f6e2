"""The X report of this till: today's sales as the till itself recorded them.

Read from the till's outbox (`Outbox.sales`: every sale goes through it,
online or not), so it works in autonomous mode too; the store-wide X report is the
server's (`autonome server report`). The core's `Till.x_report()` calls it; it reads
a file, so the screens ask for it on their worker.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appliance.domain.figures import day_figures

__all__ = ["report_from_records", "x_report"]

log = logging.getLogger(__name__)


def _zone(name: Any) -> Any:
    try:
        return ZoneInfo(str(name)) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def report_from_records(
    records: list[dict[str, Any]],
    day: date,
    zone: Any = UTC,
    pending: int = 0,
    events: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """Count, total, amounts per payment method and per VAT rate of the sales closed on
    `day` (in `zone`), by the domain's one rule (`domain.figures`, the server's reports
    use it too): cash net of the change given, a meal voucher at its face value, its
    excess apart (`voucher_excess`); the float, cash in and out, the cash the drawer
    should hold (`expected_cash`) and the last count against it."""
    today = []
    for r in records:
        try:
            closed = datetime.fromisoformat(str(r["closed_at"])).astimezone(zone)
        except (KeyError, ValueError):
            continue
        if closed.date() == day:
            today.append(r)
    cancels = []
    for e in events:  # the till's journal: the sales cancelled that day
        try:
            at = datetime.fromisoformat(str(e["at"])).astimezone(zone)
        except (KeyError, ValueError):
            continue
        if e.get("type") == "sale_cancelled" and at.date() == day:
            cancels.append(e.get("data") or {})
    f = day_figures(today, cancels)
    seqs = f["tills"]
    return {
        "day": day.isoformat(),
        "count": f["sales"],
        "total": f["total"],
        "autonomous": f["modes"].get("autonomous", 0),
        "first_seq": min(t["first_seq"] for t in seqs) if seqs else None,
        "last_seq": max(t["last_seq"] for t in seqs) if seqs else None,
        "by_method": {p["method"]: p["amount"] for p in sorted(f["payments"], key=_method)},
        "voucher_excess": f["voucher_excess"],
        "by_vat": f["vat"],
        "pending": pending,
        "cancelled": f["cancelled"],
        "refunds": f["refunds"]["count"],
        "refunded": f["refunds"]["total"],
        "refunded_by_method": {p["method"]: p["amount"] for p in f["refunds"]["payments"]},
        "net_total": f["net_total"],
        "float": f["cash"]["float"],
        "cash_in": f["cash"]["cash_in"],
        "cash_out": f["cash"]["cash_out"],
        "cash_movements": f["cash"]["movements"],
        "expected_cash": f["cash"]["expected"],
        "counted_cash": f["cash"]["counted"],
        "cash_difference": f["cash"]["difference"],
    }


def _method(payment: dict[str, Any]) -> str:
    return payment["method"]


def x_report(
    outbox: Any,
    catalogue: Any,
    till_id: int,
    now: datetime | None = None,
    events: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """Today's X report of a till: the sales of its `outbox`, and the cancels of its
    journal's `events`, in the time zone of the store of its `catalogue` (UTC without
    one)."""
    store = getattr(catalogue, "store", None) or {}
    zone = _zone(store.get("timezone"))
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    report = report_from_records(outbox.sales(), today, zone, outbox.pending_count, events)
    report["till_id"] = till_id
    return report
