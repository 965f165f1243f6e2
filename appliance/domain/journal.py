"""Journal events of a till: what happened besides sales."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["EventType", "make_event"]


class EventType(StrEnum):
    BOOT = "boot"
    MODE_CHANGED = "mode_changed"
    SNAPSHOT_INSTALLED = "snapshot_installed"
    SNAPSHOT_REJECTED = "snapshot_rejected"
    UPLOAD_STARTED = "upload_started"
    UPLOAD_FINISHED = "upload_finished"
    UPLOAD_INTERRUPTED = "upload_interrupted"
    CLOCK_BACKWARDS = "clock_backwards"
    #: NF525 logs the start of offline work; so do we.
    AUTONOMOUS_STARTED = "autonomous_started"
    #: the till stopped cleanly; a boot after anything else follows a crash or a power cut
    SHUTDOWN = "shutdown"
    #: the server holds fewer of this till's sales than the till had acknowledged
    #: (restored from a backup): the till sends them again
    ACKED_REWOUND = "acked_rewound"
    #: written by the server: a till's clock is off the server's (offset in seconds)
    CLOCK_OFF = "clock_off"
    #: the cash drawer was opened: for a cash sale (`sale_id`, `seq`) or by a manager
    #: (`reason`); `cashier_id` either way. The till opens it on no other occasion.
    DRAWER_OPENED = "drawer_opened"
    #: a sale's receipt did not print (`state` not_printed or uncertain, `problems`);
    #: the sale itself is in the outbox
    RECEIPT_NOT_PRINTED = "receipt_not_printed"
    #: a copy of a receipt was printed, marked DUPLICATA (`sale_id`, `seq`, `copy`)
    RECEIPT_REPRINTED = "receipt_reprinted"
    #: a manager approved an edit of a sale above the store's thresholds
    #: (`action`: discount, price, void or cancel; `manager_id`, `cashier_id`, what)
    MANAGER_APPROVED = "manager_approved"
    #: a sale was cancelled before it closed (`sale_id`, `cashier_id`, `lines`, `total`,
    #: `payments` taken and given back, `approval` when a manager gave one)
    SALE_CANCELLED = "sale_cancelled"
    #: one payment line of an open sale was taken off (`method`, `amount`, `cashier_id`)
    PAYMENT_REMOVED = "payment_removed"


def make_event(
    type: EventType | str,
    *,
    event_id: str,
    till_id: int,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if at.tzinfo is None:
        raise ValueError("event time must carry its time zone")
    return {
        "kind": "event",
        "event_id": event_id,
        "till_id": till_id,
        "at": at.isoformat(),
        "type": str(EventType(type)),
        "data": dict(data or {}),
    }
