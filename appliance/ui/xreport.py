"""The X report of this till: today's sales as the till itself recorded them.

Read from the till's outbox file (every sale goes through it, online or
not), so it works in autonomous mode too; the store-wide X report is the
server's (`autonome server report`). A core that offers `x_report()` is
asked instead. No Kivy; run it on the worker (it reads a file).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from appliance.till.fsio import split_line

__all__ = ["report_from_records", "sales_of", "x_report"]

log = logging.getLogger(__name__)

OUTBOX = "outbox.log"


def sales_of(data_dir: Path) -> list[dict[str, Any]]:
    """Every readable sale of the outbox file (a line being written is left out)."""
    try:
        raw = (Path(data_dir) / OUTBOX).read_bytes()
    except FileNotFoundError:
        return []
    sales = []
    for line in raw.split(b"\n")[:-1]:
        payload = split_line(line)
        if payload is None:
            continue
        try:
            record = orjson.loads(payload)
        except orjson.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("kind", "sale") == "sale":
            sales.append(record)
    return sales


def _zone(name: Any) -> Any:
    try:
        return ZoneInfo(str(name)) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def report_from_records(
    records: list[dict[str, Any]], day: date, zone: Any = UTC, pending: int = 0
) -> dict[str, Any]:
    """Count, total, amounts per payment method (cash net of the change given) and
    per VAT rate of the sales closed on `day` (in `zone`)."""
    by_method: dict[str, int] = {}
    by_vat: dict[int, dict[str, int]] = {}
    count = total = autonomous = 0
    seqs: list[int] = []
    for r in records:
        try:
            closed = datetime.fromisoformat(str(r["closed_at"])).astimezone(zone)
        except (KeyError, ValueError):
            continue
        if closed.date() != day:
            continue
        count += 1
        total += int(r.get("total") or 0)
        autonomous += r.get("mode") == "autonomous"
        seqs.append(int(r.get("seq") or 0))
        for p in r.get("payments") or []:
            by_method[p["method"]] = by_method.get(p["method"], 0) + int(p["amount"])
        change = int(r.get("change") or 0)
        if change:
            by_method["cash"] = by_method.get("cash", 0) - change
        excess = int(r.get("voucher_excess") or 0)
        if excess:
            by_method["meal_voucher"] = by_method.get("meal_voucher", 0) - excess
        for v in r.get("vat") or []:
            row = by_vat.setdefault(int(v["vat_bp"]), {"gross": 0, "net": 0, "vat": 0})
            for k in ("gross", "net", "vat"):
                row[k] += int(v.get(k) or 0)
    return {
        "day": day.isoformat(),
        "count": count,
        "total": total,
        "autonomous": autonomous,
        "first_seq": min(seqs) if seqs else None,
        "last_seq": max(seqs) if seqs else None,
        "by_method": dict(sorted(by_method.items())),
        "by_vat": [{"vat_bp": bp, **by_vat[bp]} for bp in sorted(by_vat, reverse=True)],
        "pending": pending,
    }


def x_report(till: Any, now: datetime | None = None) -> dict[str, Any]:
    """Today's X report of `till` (a `Till`), in the store's time zone."""
    own = getattr(till, "x_report", None)
    if callable(own):
        return dict(own())
    cat = getattr(till, "catalogue", None)
    zone = _zone((getattr(cat, "store", None) or {}).get("timezone") if cat else None)
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    box = getattr(till, "outbox", None)
    pending = box.pending_count if box is not None else 0
    report = report_from_records(sales_of(till.data_dir), today, zone, pending)
    report["till_id"] = getattr(till, "till_id", None)
    return report
