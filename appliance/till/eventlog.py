"""The till's journal of events (boot, mode changes, snapshots, uploads, clock).

Kept in `events.log` (same line format as the outbox, fsync'd), uploaded to
`POST /tills/{id}/events` when the server is reachable. `events.sent` holds
the byte offset up to which the server has them (the server is idempotent by
event_id, so sending one twice is harmless).
"""

from __future__ import annotations

import bisect
import logging
import threading
import uuid
from pathlib import Path
from typing import Any

import orjson

from appliance.domain import Clock, EventType, make_event, utc_now
from appliance.system.files import atomic_write

from .fsio import read_int
from .linelog import LineLog, LogWriteError

__all__ = ["EventLog"]

log = logging.getLogger(__name__)

LOG_NAME = "events.log"
SENT_NAME = "events.sent"


class EventLog:
    def __init__(
        self,
        directory: Path,
        till_id: int,
        now: Clock = utc_now,
    ) -> None:
        self.dir = Path(directory)
        self.till_id = till_id
        self.now = now
        self._log = LineLog(self.dir / LOG_NAME)
        self._offsets: list[int] = []
        self._lengths: list[int] = []
        self.sent = 0
        self._lock = threading.Lock()

    @classmethod
    def open(cls, directory: Path, till_id: int, **kw: Any) -> EventLog:
        ev = cls(directory, till_id, **kw)
        found = ev._log.open()
        for off, length, _ in found.good:
            ev._offsets.append(off)
            ev._lengths.append(length)
        if found.bad:
            log.warning("events.log: %d unreadable line(s) skipped", len(found.bad))
        ev.sent = read_int(ev.dir / SENT_NAME)
        return ev

    def record(self, type: EventType | str, *, must: bool = False, **data: Any) -> dict[str, Any]:
        """Append one journal event durably; returns it. A write error is logged, not raised:
        the events journal must never stop a sale; with `must` (an event that is a record of
        its own, a cancelled sale) it is raised (`LogWriteError`)."""
        event = make_event(
            type, event_id=str(uuid.uuid4()), till_id=self.till_id, at=self.now(), data=data
        )
        with self._lock:
            try:
                off, length = self._log.append(orjson.dumps(event))
            except LogWriteError as e:
                log.error("events.log: %s", e)
                if must:
                    raise
                return event
            self._offsets.append(off)
            self._lengths.append(length)
        return event

    def unsent(self, limit: int = 500) -> tuple[list[dict[str, Any]], int]:
        """Events the server may not have yet, and the offset to mark once it has them."""
        with self._lock:
            start = bisect.bisect_left(self._offsets, self.sent)
            stop = min(len(self._offsets), start + limit)
            spans = list(zip(self._offsets[start:stop], self._lengths[start:stop], strict=True))
        events = [orjson.loads(self._log.read(off, length)) for off, length in spans]
        end = spans[-1][0] + spans[-1][1] if spans else self.sent
        return events, end

    def mark_sent(self, offset: int) -> None:
        with self._lock:
            if offset > self.sent:
                try:
                    atomic_write(self.dir / SENT_NAME, f"{offset}\n".encode())
                except OSError as e:  # disk full: kept in memory, written next time
                    log.warning("events.sent not saved: %s", e)
                self.sent = offset

    def last_type(self) -> str | None:
        """The type of the last event in the log (None when it is empty)."""
        with self._lock:
            if not self._offsets:
                return None
            off, length = self._offsets[-1], self._lengths[-1]
        return str(orjson.loads(self._log.read(off, length)).get("type"))

    def rewind(self) -> None:
        """Send every event again (the server keeps each event_id once): after the
        server was restored from a backup that lacks some of them."""
        with self._lock:
            self.sent = 0
            try:
                atomic_write(self.dir / SENT_NAME, b"0\n")
            except OSError as e:  # kept in memory: at worst events go up twice
                log.warning("events.sent not saved: %s", e)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            spans = list(zip(self._offsets, self._lengths, strict=True))
        return [orjson.loads(self._log.read(off, length)) for off, length in spans]

    def close(self) -> None:
        self._log.close()
