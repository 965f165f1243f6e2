"""A till clock may go backwards (no RTC, no NTP while the server is down)."""

from __future__ import annotations

from datetime import datetime

__all__ = ["monotonic_closed_at"]


def monotonic_closed_at(now: datetime, last: datetime | None) -> tuple[datetime, bool]:
    """The time to stamp on a sale: never before the till's last sale.

    Returns (time, clock_behind): clock_behind is True when the wall clock was
    earlier than the last sale and the last sale's time was used instead.
    """
    if now.tzinfo is None:
        raise ValueError("the till clock must be time-zone aware")
    if last is not None and now < last:
        return last, True
    return now, False
