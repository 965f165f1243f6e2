"""The till's outbox: every closed sale, durable before it is acknowledged.

`outbox.log` is append-only, one sale a line (`<16 hex of sha256> <JSON>`),
one write and one fsync per sale. `outbox.acked` holds the highest contiguous
seq the server holds; the sales above it are pending. Online the outbox
drains at once; autonomous it waits for the upload the cashier confirms.
"""

from __future__ import annotations

import bisect
import errno
import fcntl
import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from appliance.domain import GENESIS, monotonic_closed_at
from appliance.system.files import atomic_write

from .fsio import read_int
from .linelog import LineLog, LogWriteError

__all__ = ["Entry", "Outbox", "OutboxBusy", "OutboxWriteError"]

log = logging.getLogger(__name__)

LOG_NAME = "outbox.log"
ACKED_NAME = "outbox.acked"
_SEQ = re.compile(rb'"seq"\s*:\s*(\d+)')
_HASH = re.compile(rb'"hash"\s*:\s*"([0-9a-f]{64})"')


class OutboxWriteError(LogWriteError):
    """The sale could not be made durable: it must stay open on screen."""

    @property
    def why(self) -> str:
        """What the cashier is told went wrong, before what it means for the record."""
        return "the till's disk is full" if self.errno == errno.ENOSPC else str(self.strerror)


class OutboxBusy(RuntimeError):
    """Another till process already works on this data folder."""


@dataclass(frozen=True)
class Entry:
    """One line of the outbox: a sale, or a line that could not be read (`raw`)."""

    offset: int
    length: int
    seq: int | None
    autonomous: bool = False
    raw: bytes | None = None
    after_seq: int = 0  # for a raw line: the seq of the good sale before it

    @property
    def key(self) -> float:
        return float(self.seq) if self.raw is None else self.after_seq + 0.5


class Outbox:
    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self._log = LineLog(self.dir / LOG_NAME)
        self._entries: list[Entry] = []
        self._keys: list[float] = []
        self.last_seq = 0
        self.last_hash = GENESIS
        self.last_closed_at: str | None = None
        self.acked = 0
        self.acked_unsaved = False  # the cursor on disk lags `acked` (disk full)
        #: what `open` found: bytes of a torn last line cut away, lines kept aside
        self.torn: bytes = b""
        self.kept_aside: list[Entry] = []
        self._lock_file: Any = None
        self._index_lock = threading.Lock()  # the till appends, its link thread reads
        #: a refund's lookups: sale id -> seq, and sale id -> the seqs of its refunds
        self._by_id: dict[str, int] = {}
        self._refunds: dict[str, list[int]] = {}

    @classmethod
    def open(cls, directory: Path) -> Outbox:
        box = cls(directory)
        box._open()
        return box

    def _open(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.dir / ".till.lock", "a")  # noqa: SIM115 - held while open
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise OutboxBusy(f"another till process is using {self.dir}") from None
        found = self._log.open()
        self.torn = found.torn
        if found.torn:
            log.warning(
                "outbox: cut a torn last line (%d bytes, never acknowledged)", len(found.torn)
            )
        items: list[tuple[int, int, bytes | None, bytes | None]] = []
        for off, length, payload in found.good:
            items.append((off, length, payload, None))
        for off, raw in found.bad:
            items.append((off, len(raw) + 1, None, raw))
        items.sort()
        self._index(items)
        self.acked = read_int(self.dir / ACKED_NAME)
        self.last_seq = max(self.last_seq, self.acked)

    def _index(self, items: list[tuple[int, int, bytes | None, bytes | None]]) -> None:
        last_good: dict[str, Any] | None = None
        prev_seq = 0
        raws: list[tuple[int, int, bytes]] = []
        last_raw_hash: str | None = None

        def flush_raws(next_seq: int | None) -> None:
            seqs = _raw_seqs([raw for _, _, raw in raws], prev_seq, next_seq)
            for (off, length, raw), seq in zip(raws, seqs, strict=True):
                entry = Entry(off, length, seq, raw=raw, after_seq=prev_seq)
                self._entries.append(entry)
                self._keys.append(entry.key)
                self.kept_aside.append(entry)
                if seq is not None:
                    self.last_seq = max(self.last_seq, seq)
            raws.clear()

        for off, length, payload, raw in items:
            record = _parse(payload) if payload is not None else None
            if record is None:
                raw = raw if raw is not None else payload
                raws.append((off, length, raw))  # type: ignore[arg-type]
                m = _HASH.search(raw)  # type: ignore[arg-type]
                last_raw_hash = m.group(1).decode() if m else None
                continue
            seq = int(record["seq"])
            flush_raws(seq)
            entry = Entry(off, length, seq, autonomous=record.get("mode") == "autonomous")
            self._entries.append(entry)
            self._keys.append(entry.key)
            self._note(record)
            self.last_seq = max(self.last_seq, seq)
            prev_seq = seq
            last_good = record
            last_raw_hash = None
        flush_raws(None)
        if last_good is not None:
            self.last_hash = str(last_good.get("hash", GENESIS))
            self.last_closed_at = last_good.get("closed_at")
        if last_raw_hash:  # the very last line is unreadable but names its hash
            self.last_hash = last_raw_hash
        if self.kept_aside:
            log.warning("outbox: %d unreadable line(s) kept aside", len(self.kept_aside))

    # -- writing ---------------------------------------------------------------
    def append(self, record: dict[str, Any]) -> Entry:
        """Make one closed sale durable (write + fsync). Raises OutboxWriteError."""
        seq = record.get("seq")
        if seq != self.last_seq + 1 or record.get("prev_hash") != self.last_hash:
            raise ValueError(
                f"sale seq {seq} does not follow the outbox (last seq {self.last_seq})"
            )
        payload = orjson.dumps(record)
        try:
            offset, length = self._log.append(payload)
        except LogWriteError as e:
            raise OutboxWriteError(e.errno, f"the sale was NOT saved: {e.strerror}") from e
        entry = Entry(offset, length, seq, autonomous=record.get("mode") == "autonomous")
        with self._index_lock:
            self._entries.append(entry)
            self._keys.append(entry.key)
            self._note(record)
            self.last_seq = seq
            self.last_hash = record["hash"]
            self.last_closed_at = record.get("closed_at")
        return entry

    def mark_acked(self, seq: int) -> None:
        """The server holds every seq up to `seq`: persist the cursor atomically.

        If the cursor cannot be written (disk full), it moves in memory all the
        same: the server holds those sales, and a cursor on disk that lags only
        means they are sent again after a restart, as duplicates the server
        recognises. It is written at the next move."""
        seq = min(int(seq), self.last_seq)
        if seq == self.acked and not self.acked_unsaved:
            return
        self._save_acked(seq)
        self.acked = seq

    def rewind_acked(self, seq: int) -> int | None:
        """The server holds this till's sales only up to `seq`, fewer than `acked`
        (it was restored from a backup): move the cursor back so that the sales
        above go again. They are all still here (the log is never compacted).
        The cursor before, or None when `seq` is not below it."""
        seq = max(0, int(seq))
        before = self.acked
        if seq >= before:
            return None
        with self._index_lock:
            self.acked = seq
        self._save_acked(seq)
        return before

    def _save_acked(self, seq: int) -> None:
        try:
            atomic_write(self.dir / ACKED_NAME, f"{seq}\n".encode())
        except OSError as e:
            if not self.acked_unsaved:
                log.warning("outbox.acked not saved (kept in memory): %s", e)
            self.acked_unsaved = True
        else:
            self.acked_unsaved = False

    def _note(self, record: dict[str, Any]) -> None:
        sale_id = record.get("sale_id")
        if isinstance(sale_id, str):
            self._by_id[sale_id] = int(record["seq"])
        of = record.get("refund_of")
        if record.get("kind") == "refund" and isinstance(of, str):
            self._refunds.setdefault(of, []).append(int(record["seq"]))

    # -- reading ---------------------------------------------------------------
    def record(self, *, seq: int | None = None, sale_id: str | None = None):
        """The readable record of this till at `seq`, or with this sale id; None if none."""
        with self._index_lock:
            if sale_id is not None:
                seq = self._by_id.get(sale_id)
            if seq is None:
                return None
            i = bisect.bisect_left(self._keys, float(seq))
            entry = self._entries[i] if i < len(self._entries) else None
        if entry is None or entry.seq != seq or entry.raw is not None:
            return None
        return self.load(entry)

    def refunds_of(self, sale_id: str) -> list[dict[str, Any]]:
        """The refund records of the sale `sale_id` this till made, oldest first."""
        with self._index_lock:
            seqs = list(self._refunds.get(sale_id, ()))
        found = (self.record(seq=seq) for seq in seqs)
        return [r for r in found if r is not None]

    def pending(self, limit: int | None = None) -> list[Entry]:
        """Lines the server does not hold yet, in file order."""
        with self._index_lock:
            start = bisect.bisect_right(self._keys, self.acked)
            end = len(self._entries) if limit is None else min(len(self._entries), start + limit)
            return self._entries[start:end]

    @property
    def pending_count(self) -> int:
        with self._index_lock:
            return len(self._entries) - bisect.bisect_right(self._keys, self.acked)

    @property
    def autonomous_pending(self) -> int:
        return sum(1 for e in self.pending() if e.autonomous or e.raw is not None)

    def hole_after(self, seq: int) -> bool:
        """Whether an unreadable line that names no seq follows sale `seq`: the server
        quarantines it without a seq, so its contiguous seq stops at `seq` for good."""
        return any(e.seq is None and e.after_seq == seq for e in self.kept_aside)

    def next_place(self, wall: datetime) -> dict[str, Any]:
        """Where the next record (a sale, a refund, a cash movement) goes in the chain:
        its `seq`, the `prev_hash` it follows, and a `closed_at` never before the last
        record's (`clock_behind`: the wall clock was behind it). Call it under the lock
        that appends."""
        last = datetime.fromisoformat(self.last_closed_at) if self.last_closed_at else None
        closed_at, behind = monotonic_closed_at(wall, last)
        return {
            "seq": self.last_seq + 1,
            "prev_hash": self.last_hash,
            "closed_at": closed_at,
            "clock_behind": behind,
        }

    def last_record(self) -> dict[str, Any] | None:
        """The last sale or refund in the outbox, past the cash control records after it
        (None when there is none, or it is unreadable)."""
        with self._index_lock:
            entries = list(self._entries)
        for entry in reversed(entries):
            if entry.raw is None:
                record = self.load(entry)
                if record.get("kind") != "cash":
                    return record
                continue
            return None
        return None

    def sales(self) -> list[dict[str, Any]]:
        """Every readable sale of the outbox, in file order (the X report's reading)."""
        with self._index_lock:
            entries = [e for e in self._entries if e.raw is None]
        return [self.load(e) for e in entries]

    def __len__(self) -> int:
        return len(self._entries)

    def load(self, entry: Entry) -> dict[str, Any]:
        """What the server is sent for this line: the sale, or `{"raw": text}`."""
        if entry.raw is not None:
            item: dict[str, Any] = {"raw": entry.raw.decode("utf-8", "replace")}
            if entry.seq is not None:
                item["seq"] = entry.seq
            return item
        return orjson.loads(self._log.read(entry.offset, entry.length))

    def close(self) -> None:
        self._log.close()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


def _raw_seqs(raws: list[bytes], prev_seq: int, next_seq: int | None) -> list[int | None]:
    """The seqs of unreadable lines found together after the sale `prev_seq` and before
    the sale `next_seq` (None: at the end), so that each seq between them is held by
    exactly one line: the server then never waits for a seq nothing will fill.

    Appends are in seq order, so the lines' places say their seqs: at the end, the
    next ones; in a hole as wide as their number, one each. Only when a damaged line
    was cut in two (more lines than seqs) does the `"seq": n` a line still shows
    choose, then the first lines without one take the seqs left."""
    if next_seq is None:
        return [prev_seq + 1 + i for i in range(len(raws))]
    hole = list(range(prev_seq + 1, next_seq))
    if len(hole) == len(raws):
        return list(hole)
    free = set(hole)
    seqs: list[int | None] = []
    for raw in raws:
        m = _SEQ.search(raw)
        seq = int(m.group(1)) if m and len(m.group(1)) <= 19 else None
        seqs.append(seq if seq in free else None)
        free.discard(seq)  # type: ignore[arg-type]
    left = sorted(free)
    for i, seq in enumerate(seqs):
        if seq is None and left:
            seqs[i] = left.pop(0)
    return seqs


def _parse(payload: bytes) -> dict[str, Any] | None:
    try:
        record = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("seq"), int):
        return None
    return record
