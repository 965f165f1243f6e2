"""Sending the outbox to the server: the online drain and the batch upload.

The server answers each record alone (stored, duplicate, conflict,
quarantined) and the highest seq it holds contiguously. `outbox.acked` moves
forward over records the server holds; a record it kept aside counts as held,
so one bad record never blocks the queue behind it. It moves back only when
the server says it holds less than that (`Till.server_holds`: a server
restored from a backup), and those sales go again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from appliance.domain import EventType

from .client import ServerError
from .faults import crash_point
from .outbox import Entry

if TYPE_CHECKING:
    from .session import Till

__all__ = ["HELD", "Uploader", "advance", "drain", "statuses_of"]

log = logging.getLogger(__name__)

HELD = frozenset({"stored", "duplicate", "conflict", "quarantined"})
KEPT_ASIDE = frozenset({"conflict", "quarantined"})
PUT_AT_MOST = 20  # more pending than this online: one batch instead of PUTs


def advance(
    acked: int, batch: Sequence[Entry], statuses: Sequence[str], contiguous: Any = None
) -> int:
    """The new acked cursor after the server judged `batch` (entries in file order)."""
    expected = acked + 1
    raw_gap = False
    for entry, status in zip(batch, statuses, strict=False):
        if status not in HELD:
            break
        if entry.raw is not None:  # an unreadable line, now in the server's quarantine
            if entry.seq == expected:
                expected += 1
            else:
                raw_gap = True
        elif entry.seq is not None and (
            entry.seq == expected or (raw_gap and entry.seq > expected)
        ):
            expected = entry.seq + 1
            raw_gap = False
        elif entry.seq is not None and entry.seq < expected:
            continue
        else:
            break
    new = expected - 1
    top = max((e.seq for e in batch if e.seq is not None), default=acked)
    if isinstance(contiguous, int) and not isinstance(contiguous, bool):
        new = max(new, min(contiguous, top))
    if new == acked < top and len(statuses) >= len(batch) and set(statuses) <= HELD:
        log.warning("outbox: seqs %s-%s held but not contiguous; moving on", acked + 1, top)
        new = top
    return max(new, acked)


def statuses_of(batch: Sequence[Entry], answer: Any) -> list[str]:
    out = ["missing"] * len(batch)
    results = answer.get("results") if isinstance(answer, dict) else None
    for r in results or ():
        try:
            i = int(r["index"])
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= i < len(out):
            out[i] = str(r.get("status"))
    return out


def _report_kept_aside(till: Till, batch: Sequence[Entry], statuses: Sequence[str]) -> None:
    for entry, status in zip(batch, statuses, strict=False):
        if status in KEPT_ASIDE:
            till.bus.publish("kept_aside", seq=entry.seq, status=status, raw=entry.raw is not None)


def drain(till: Till) -> bool:
    """Online: send what is pending now. False when the server failed (mode changed)."""
    box = till.outbox
    while box.pending_count and not till.stopping.is_set():
        batch = box.pending(limit=till.settings.upload_batch)
        before = box.acked
        try:
            client = till.client()
            if len(batch) <= PUT_AT_MOST and all(e.raw is None for e in batch):
                for entry in batch:  # PUT /sales/{id}: idempotent, one at a time
                    status = client.put_sale(box.load(entry))
                    _report_kept_aside(till, [entry], [status])
                    box.mark_acked(advance(box.acked, [entry], [status]))
            else:
                answer = client.upload(till.till_id, [box.load(e) for e in batch])
                crash_point("till_mid_upload")
                statuses = statuses_of(batch, answer)
                _report_kept_aside(till, batch, statuses)
                box.mark_acked(advance(box.acked, batch, statuses, answer.get("contiguous_seq")))
                till.server_holds(answer.get("contiguous_seq"))
        except ServerError as e:
            till.on_lost(f"sending a sale failed: {e.message}")
            return False
        if box.acked == before:
            till.error("sync_stuck", f"the server did not take sale {before + 1}")
            till.on_lost(f"the server did not take sale {before + 1}")
            return False
        till.bus.publish("synced", acked=box.acked, pending=box.pending_count)
    return True


def _passed(batch: Sequence[Entry], acked: int) -> int:
    return sum(1 for e in batch if e.key <= acked)


class Uploader:
    """SYNCING: upload every pending sale in batches, with progress; stop cleanly."""

    def __init__(self, till: Till) -> None:
        self.till = till
        self.sent = 0
        self.total = 0

    def run(self) -> None:
        t = self.till
        box = t.outbox
        self.total = box.pending_count
        t.events.record(EventType.UPLOAD_STARTED, pending=self.total, acked=box.acked)
        t.bus.publish("upload_started", total=self.total)
        while True:
            if t.stopping.is_set():
                return self._interrupted("the till is stopping")
            batch = box.pending(limit=t.settings.upload_batch)
            if not batch:
                break
            try:
                answer = t.client().upload(t.till_id, [box.load(e) for e in batch])
            except ServerError as e:
                return self._interrupted(e.message)
            crash_point("till_mid_upload")
            statuses = statuses_of(batch, answer)
            _report_kept_aside(t, batch, statuses)
            before = box.acked
            box.mark_acked(advance(before, batch, statuses, answer.get("contiguous_seq")))
            if box.acked == before:
                return self._interrupted(f"the server did not take sale {before + 1}")
            t.server_holds(answer.get("contiguous_seq"))  # less than it acknowledged once?
            self.sent += _passed(batch, box.acked)
            self.total = self.sent + box.pending_count
            t.bus.publish("upload_progress", sent=self.sent, total=self.total)
        t.events.record(EventType.UPLOAD_FINISHED, sent=self.sent, acked=box.acked)
        t.bus.publish("upload_finished", sent=self.sent, total=self.total, acked=box.acked)
        t.on_upload_done()

    def _interrupted(self, reason: str) -> None:
        t = self.till
        left = t.outbox.pending_count
        t.events.record(EventType.UPLOAD_INTERRUPTED, sent=self.sent, pending=left, reason=reason)
        t.bus.publish(
            "upload_interrupted", sent=self.sent, total=self.total, pending=left, reason=reason
        )
        t.error(
            "upload_interrupted",
            f"upload stopped ({reason}); nothing is lost: {left} sales stay on this till",
        )
        t.on_upload_interrupted(reason)
