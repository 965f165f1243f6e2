"""Sending the outbox to the server: the online drain and the batch upload.

The server answers each record alone (stored, duplicate, conflict,
quarantined) and the highest seq it holds contiguously. `outbox.acked` moves
forward over records the server holds; a record it kept aside counts as held,
so one bad record never blocks the queue behind it. It moves back only when
the server says it holds less than that (the core's answer to `Holds`: a
server restored from a backup), and those sales go again.

Both are given the link's narrow things (`Wire`): the core's door, the client of
the server, the outbox, the journal, the settings and the stop event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from appliance.domain import EventType
from appliance.protocol.models import BatchResult
from appliance.system.crash import crash_point

from .client import ServerError
from .config import Settings
from .eventlog import EventLog
from .outbox import Entry, Outbox
from .ports import Api, Core, Holds, Lost, UploadDone, UploadInterrupted

__all__ = ["HELD", "Uploader", "Wire", "advance", "drain", "statuses_of"]

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


class Wire(Protocol):
    """What sending needs (the `Link` has it)."""

    core: Core
    api: Api
    outbox: Outbox
    journal: EventLog
    settings: Settings
    stop: threading.Event
    till_id: int


def statuses_of(batch: Sequence[Entry], answer: BatchResult) -> list[str]:
    out = ["missing"] * len(batch)
    for r in answer.results:
        if 0 <= r.index < len(out):
            out[r.index] = str(r.status)
    return out


def _report_kept_aside(wire: Wire, batch: Sequence[Entry], statuses: Sequence[str]) -> None:
    for entry, status in zip(batch, statuses, strict=False):
        if status in KEPT_ASIDE:
            wire.core.publish("kept_aside", seq=entry.seq, status=status, raw=entry.raw is not None)


def drain(wire: Wire) -> bool:
    """Online: send what is pending now. False when the server failed (mode changed)."""
    box, core = wire.outbox, wire.core
    while box.pending_count and not wire.stop.is_set():
        batch = box.pending(limit=wire.settings.upload_batch)
        before = box.acked
        try:
            client = wire.api()
            if len(batch) <= PUT_AT_MOST and all(e.raw is None for e in batch):
                for entry in batch:  # PUT /sales/{id}: idempotent, one at a time
                    status = client.put_sale(box.load(entry))
                    _report_kept_aside(wire, [entry], [status])
                    box.mark_acked(advance(box.acked, [entry], [status]))
            else:
                answer = client.upload(wire.till_id, [box.load(e) for e in batch])
                crash_point("till_mid_upload")
                statuses = statuses_of(batch, answer)
                _report_kept_aside(wire, batch, statuses)
                box.mark_acked(advance(box.acked, batch, statuses, answer.contiguous_seq))
                core.signal(Holds(answer.contiguous_seq))
        except ServerError as e:
            core.signal(Lost(f"sending a sale failed: {e.message}"))
            return False
        if box.acked == before:
            core.error("sync_stuck", f"the server did not take sale {before + 1}")
            core.signal(Lost(f"the server did not take sale {before + 1}"))
            return False
        core.publish("synced", acked=box.acked, pending=box.pending_count)
    return True


def _passed(batch: Sequence[Entry], acked: int) -> int:
    return sum(1 for e in batch if e.key <= acked)


class Uploader:
    """SYNCING: upload every pending sale in batches, with progress; stop cleanly."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self.sent = 0
        self.total = 0

    def run(self) -> None:
        w, core = self.wire, self.wire.core
        box = w.outbox
        self.total = box.pending_count
        w.journal.record(EventType.UPLOAD_STARTED, pending=self.total, acked=box.acked)
        core.publish("upload_started", total=self.total)
        while True:
            if w.stop.is_set():
                return self._interrupted("the till is stopping")
            batch = box.pending(limit=w.settings.upload_batch)
            if not batch:
                break
            try:
                answer = w.api().upload(w.till_id, [box.load(e) for e in batch])
            except ServerError as e:
                return self._interrupted(e.message)
            crash_point("till_mid_upload")
            statuses = statuses_of(batch, answer)
            _report_kept_aside(w, batch, statuses)
            before = box.acked
            box.mark_acked(advance(before, batch, statuses, answer.contiguous_seq))
            if box.acked == before:
                return self._interrupted(f"the server did not take sale {before + 1}")
            core.signal(Holds(answer.contiguous_seq))  # less than it acknowledged once?
            self.sent += _passed(batch, box.acked)
            self.total = self.sent + box.pending_count
            core.publish("upload_progress", sent=self.sent, total=self.total)
        w.journal.record(EventType.UPLOAD_FINISHED, sent=self.sent, acked=box.acked)
        core.publish("upload_finished", sent=self.sent, total=self.total, acked=box.acked)
        core.signal(UploadDone())

    def _interrupted(self, reason: str) -> None:
        w, core = self.wire, self.wire.core
        left = w.outbox.pending_count
        w.journal.record(EventType.UPLOAD_INTERRUPTED, sent=self.sent, pending=left, reason=reason)
        core.publish(
            "upload_interrupted", sent=self.sent, total=self.total, pending=left, reason=reason
        )
        core.error(
            "upload_interrupted",
            f"upload stopped ({reason}); nothing is lost: {left} sales stay on this till",
        )
        core.signal(UploadInterrupted(reason))
