"""What the server says of this till, and what the core does with it; what a start
(after a crash, or with a repaired outbox) writes and says.

`ServerReadings` is given the `Outbox` (its acked cursor may go back), the
journal (`acked_rewound`, and its sent cursor), publish, the link's wake event
and the server id; the core hands it the link's `Holds` and `ClockRead` news.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from appliance.domain import EventType, format_cents

from .eventlog import EventLog
from .outbox import Outbox

__all__ = ["CLOCK_OFF_S", "ServerReadings", "announce_boot", "recovered_text", "sale_fields"]

log = logging.getLogger(__name__)

#: a till clock this far off the server's (seconds) is shown to the cashier (the
#: server's threshold for its `clock_off` journal event is the same)
CLOCK_OFF_S = 60


class ServerReadings:
    def __init__(
        self,
        outbox: Outbox,
        events: EventLog,
        publish: Callable[..., Any],
        wake: threading.Event,
        server_id: str,
    ) -> None:
        self.outbox = outbox
        self.events = events
        self.publish = publish
        self.wake = wake
        self.server_id = server_id
        self.rewound_to: int | None = None  # see holds
        self.clock_offset: int | None = None  # see clock

    def holds(self, held: Any) -> None:
        """The server says it holds this till's sales 1..`held` (health, upload answers).

        Fewer than `outbox.acked`: the server lost sales it had acknowledged (its
        data was restored from a backup). The cursor goes back to `held` and those
        sales go again (the outbox keeps every sale; the server takes each one
        once); so do the journal events. Once per value a run: a server whose
        contiguous seq stays below after they went again holds a hole it cannot
        fill, and sending them once more would change nothing. (A line the till
        could not read and that names no seq is such a hole: `Outbox.hole_after`.)"""
        if not isinstance(held, int) or isinstance(held, bool) or held < 0:
            return
        box = self.outbox
        if held >= box.acked or held == self.rewound_to or box.hole_after(held):
            return
        before = box.rewind_acked(held)
        if before is None:
            return
        self.rewound_to = held
        self.events.rewind()
        self.events.record(
            EventType.ACKED_REWOUND,
            acked=before,
            server_holds=held,
            server_id=self.server_id,
        )
        pending = box.pending_count
        log.warning("server holds sales 1-%d only, %d were acknowledged: resending", held, before)
        self.publish(
            "resend",
            acked=held,
            was=before,
            pending=pending,
            message=f"the store server holds this till's sales up to no. {held} only (restored "
            f"from a backup?): sales {held + 1}-{before} are sent to it again",
        )
        self.wake.set()

    def clock(self, offset: Any) -> None:
        """The server's reading of this till's clock (till minus server, seconds): a
        minute or more off, the cashier is told (once per change). The sales keep
        the till's time; the server puts them on the right business day."""
        if not isinstance(offset, int) or isinstance(offset, bool):
            return
        off = abs(offset) >= CLOCK_OFF_S
        told = self.clock_offset  # None: in step, as far as the cashier knows
        if (told is None and not off) or (
            told is not None and off and abs(offset - told) < CLOCK_OFF_S
        ):
            return
        self.clock_offset = offset if off else None
        if not off:
            self.publish("clock_off", offset_s=offset, message="the till's clock is right again")
            return
        minutes = round(abs(offset) / 60)
        span = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
        way = "behind" if offset < 0 else "ahead of"
        self.publish(
            "clock_off",
            offset_s=offset,
            message=f"this till's clock is {span} {way} the store server's: sales keep the "
            "till's time and the server files them on its own day; have the clock set",
        )


def sale_fields(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    keys = ("seq", "sale_id", "total", "closed_at", "mode", "hash")
    return {k: record.get(k) for k in keys}


def recovered_text(last: dict[str, Any] | None) -> str:
    """What the cashier is told after a crash or a power cut."""
    head = "The till stopped without shutting down (power cut or crash). "
    if last is None:
        return head + (
            "No sale is recorded on this till: a sale that was on screen was NOT recorded; "
            "ring it up again."
        )
    when = str(last.get("closed_at") or "")[:19].replace("T", " ")
    return (
        head + f"The last sale recorded is no. {last['seq']} "
        f"({format_cents(int(last.get('total') or 0))}, closed {when}): it is kept and goes "
        "to the server, even if its receipt did not print. A sale on screen after it was "
        "NOT recorded: ring it up again."
    )


def announce_boot(
    box: Outbox,
    events: EventLog,
    publish: Callable[..., Any],
    status_fields: Callable[[], dict[str, Any]],
    snapshot: int | None,
) -> None:
    """Journal the start (`boot`), then say it, and what a crash or a torn outbox left."""
    # the journal of a till that stopped cleanly ends with `shutdown`
    clean = events.last_type() in (None, str(EventType.SHUTDOWN))
    last = sale_fields(box.last_record())
    events.record(
        EventType.BOOT,
        last_seq=box.last_seq,
        acked=box.acked,
        pending=box.pending_count,
        snapshot=snapshot,
        torn_bytes=len(box.torn),
        kept_aside=len(box.kept_aside),
        clean_stop=clean,
    )
    publish("boot", **status_fields(), clean_stop=clean)
    if not clean:
        publish("recovered", last_sale=last, message=recovered_text(last))
    if box.torn or box.kept_aside:
        publish(
            "outbox_repaired",
            torn_bytes=len(box.torn),
            kept_aside=len(box.kept_aside),
            message="a torn last line (never acknowledged) was cut away; unreadable lines "
            "are kept aside and will be sent to the server's quarantine",
        )
