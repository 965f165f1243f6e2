"""The one clock: a `Clock` is a callable giving an aware datetime, injected in the
till core, its journal and the server's clock checks (`utc_now` unless a test sets
one: `testbed.devices.Clock`). A till clock may go backwards (no RTC, no NTP while
the server is down)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "monotonic_closed_at", "utc_now"]

#: what the till and the server are given to read the time
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The system's clock, time-zone aware (UTC)."""
    return datetime.now(UTC)


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
