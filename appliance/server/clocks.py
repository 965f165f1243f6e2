"""The tills' clocks as the server sees them.

A till sends its wall clock with each health check (`X-Till-Time`). The
server compares it with its own: a till whose clock moved `CLOCK_OFF_S` or
more away from what was last noted gets a `clock_off` event in its journal
(written by the server: offset, the two clocks), and the offset is kept in
`tills.clock_offset_s` and in `Store.clock_offsets`.

Sales keep the till's time (`closed_at`, inside the chained record) and the
server's (`received_at`); the business day of a sale (`sales.day`, the X and
Z reports) is the server-local date of `closed_at` minus the offset of its
till when the sale is taken in, so a till five hours slow does not put the
morning's sales on the day before.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime

import orjson
from sqlalchemy import select

from appliance.domain import EventType
from appliance.domain.clock import Clock, utc_now

from .storage import Store, till_events, tills

__all__ = ["CLOCK_OFF_S", "TillClocks", "parse_till_time"]

log = logging.getLogger("autonome.server.clocks")

#: a till clock this far (seconds) from the server's, either way, is off
CLOCK_OFF_S = 60


def parse_till_time(text: str) -> datetime:
    """The till's clock from its header: ISO 8601 with a time zone (ValueError else)."""
    when = datetime.fromisoformat(text.strip())
    if when.tzinfo is None:
        raise ValueError("the till's time carries no time zone")
    return when


class TillClocks:
    """The offsets of the tills' clocks (till minus server, seconds)."""

    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        with store.read() as conn:
            rows = conn.execute(select(tills.c.id, tills.c.clock_offset_s)).all()
        store.clock_offsets.update({r.id: int(r.clock_offset_s) for r in rows if r.clock_offset_s})

    def observe(self, till_id: int, till_time: datetime, now: datetime | None = None) -> int:
        """One reading of a till's clock; its offset in whole seconds."""
        now = now or self.clock()
        offset = round((till_time - now).total_seconds())
        noted = abs(offset) >= CLOCK_OFF_S
        with self._lock:
            before = self.store.clock_offsets.get(till_id, 0)
            if abs(offset - before) < CLOCK_OFF_S:
                return offset
            if noted:
                self.store.clock_offsets[till_id] = offset
            else:
                self.store.clock_offsets.pop(till_id, None)
        kept = offset if noted else None
        event = {
            "kind": "event",
            "event_id": str(uuid.uuid4()),
            "till_id": till_id,
            "at": now.isoformat(),
            "type": str(EventType.CLOCK_OFF),
            "data": {
                "offset_s": offset,
                "in_step": not noted,
                "till_time": till_time.isoformat(),
                "server_time": now.isoformat(),
                "recorded_by": "server",
            },
        }
        with self.store.write() as conn:
            conn.execute(tills.update().where(tills.c.id == till_id).values(clock_offset_s=kept))
            conn.execute(
                till_events.insert().values(
                    event_id=event["event_id"],
                    till_id=till_id,
                    type=event["type"],
                    at=event["at"],
                    body=orjson.dumps(event).decode(),
                    received_at=now.isoformat(),
                )
            )
        if noted:
            log.warning("till %s: its clock is %+d s off the server's", till_id, offset)
        else:
            log.info("till %s: its clock is in step again (%+d s)", till_id, offset)
        return offset
