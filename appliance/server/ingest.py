"""Taking sales into the journal: one path for PUT /sales/{id} and outbox uploads.

Each record is judged alone:

- unreadable or malformed -> quarantined (kept with the till id and raw text);
- same sale id, same content -> duplicate (nothing written);
- same sale id, other content, or the till's seq held by another sale ->
  conflict, kept aside, never overwriting;
- a hash that does not match the content -> integrity event + quarantined;
- otherwise stored; a broken link to seq-1 or seq+1 is recorded as an
  integrity event and the sale is stored all the same (it was really sold).

All records of one call are written in one transaction, committed durably
before the answer. One bad record never blocks the others.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Connection, select

from appliance.domain import GENESIS
from appliance.domain.chain import fast_canonical as _canonical
from appliance.domain.chain import is_plain as _plain
from appliance.domain.chain import verify_record_fast as _verify
from appliance.protocol import SaleRecord
from appliance.protocol.cash import CashRecord
from appliance.protocol.refund import RefundRecord
from appliance.system.crash import crash_point

from .gaps import advance_contiguous
from .ingest_sql import (
    _CHUNK,
    _INSERT_SALE,
    _SALES_BY_SEQ,
    _around,
    _int,
    _pow2,
    _qmark,
    _rows,
    _sales_by_ids,
    _sales_in_ranges,
)
from .refunds import RefundCheck
from .storage import (
    Store,
    integrity_events,
    now_iso,
    quarantine,
    sale_conflicts,
    sales,
)

__all__ = [
    "HTTP_STATUS",
    "Job",
    "Outcome",
    "ingest",
    "ingest_batch",
    "judge_jobs",
    "local_day",
    "put_outcome",
    "put_record",
]

log = logging.getLogger("autonome.server.ingest")

#: the records of a till's outbox besides sales: refunds, cash control
_MODELS: dict[Any, Any] = {"refund": RefundRecord, "cash": CashRecord}

HTTP_STATUS = {"stored": 201, "duplicate": 200, "conflict": 409, "quarantined": 422}


@dataclass(frozen=True)
class Outcome:
    status: str  # stored | duplicate | conflict | quarantined
    sale_id: str | None = None
    seq: int | None = None
    reason: str = ""
    message: str = ""

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.status]


def local_day(closed_at: str, clock_offset_s: int = 0) -> str:
    """The business day of a sale: its date in the server's local time zone, once the
    offset of its till's clock (till minus server, clocks.py) is taken off."""
    when = datetime.fromisoformat(closed_at)
    if clock_offset_s:
        when -= timedelta(seconds=clock_offset_s)
    return when.astimezone().date().isoformat()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _errors(e: ValidationError) -> str:
    parts = []
    for err in e.errors()[:5]:
        where = ".".join(str(x) for x in err.get("loc", ())) or "record"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    more = len(e.errors()) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


class _Group:
    """What the tills' batches of one transaction share."""

    def __init__(self, clock_offsets: Mapping[int, int] | None = None) -> None:
        self.now = now_iso()
        self.clock_offsets = clock_offsets or {}
        self.by_id: dict[str, tuple[str, int, int]] = {}  # sale_id -> (body, till, seq)
        self.conflict_keys: set[tuple[str, str]] = set()
        self.refunds = RefundCheck()  # refunds are checked against their sale


class _Batch:
    """The journal of one till as far as this transaction needs it, kept in step with
    its writes."""

    def __init__(self, conn: Connection, till_id: int, group: _Group | None = None) -> None:
        group = group or _Group()
        self.conn = conn
        self.till_id = till_id
        self.now = group.now
        self.clock_offset_s = group.clock_offsets.get(till_id, 0)
        self.by_id = group.by_id  # sale ids are unique across tills: one map for the group
        self.by_seq: dict[int, tuple[str, str, str]] = {}  # seq -> (sale_id, hash, prev_hash)
        self.new_sales: list[dict[str, Any]] = []
        self.new_conflicts: list[dict[str, Any]] = []
        self.new_quarantine: list[dict[str, Any]] = []
        self.new_integrity: list[dict[str, Any]] = []
        self._conflict_keys = group.conflict_keys
        self.refunds = group.refunds
        self._quarantine_keys: set[str] = set()

    # -- judging -------------------------------------------------------------------
    def judge(self, item: Any, url_sale_id: str | None = None) -> Outcome:
        if isinstance(item, dict) and "raw" in item and "kind" not in item:
            raw = item["raw"] if isinstance(item["raw"], str) else orjson.dumps(item).decode()
            return self.keep_quarantined(
                raw, None, _int(item.get("seq")), "unreadable", "the till could not read this line"
            )
        if not isinstance(item, dict):
            raw = orjson.dumps(item).decode() if item is not None else "null"
            return self.keep_quarantined(raw, None, None, "not_a_record", "not a JSON object")
        plain = _plain(item)
        raw = _canonical(item, plain).decode("utf-8")
        claimed_till = _int(item.get("till_id"))
        sale_id = item.get("sale_id") if isinstance(item.get("sale_id"), str) else None
        seq = _int(item.get("seq")) if claimed_till in (None, self.till_id) else None
        model = _MODELS.get(item.get("kind"), SaleRecord)
        try:
            rec = model.model_validate(item)
        except ValidationError as e:
            return self.keep_quarantined(raw, sale_id, seq, "malformed", _errors(e))
        if rec.till_id != self.till_id:
            return self.keep_quarantined(
                raw,
                rec.sale_id,
                None,
                "wrong_till",
                f"a sale of till {rec.till_id} sent by till {self.till_id}",
            )
        if url_sale_id is not None and url_sale_id != rec.sale_id:
            return self.keep_quarantined(
                raw, rec.sale_id, rec.seq, "sale_id_mismatch", "the URL and the record differ"
            )
        existing = self.by_id.get(rec.sale_id)
        if existing is not None:
            if existing[0] == raw:
                return Outcome("duplicate", rec.sale_id, rec.seq, message="already stored")
            return self.keep_conflict(rec, raw, "same_id_other_content", rec.sale_id)
        taken = self.by_seq.get(rec.seq)
        if taken is not None:
            return self.keep_conflict(rec, raw, "seq_taken", taken[0])
        if not _verify(item, plain):
            return self.keep_bad_hash(rec, raw)
        if rec.kind == "refund" and (why := self.refunds.refusal(self.conn, item, self.by_id)):
            return self.keep_quarantined(raw, rec.sale_id, rec.seq, *why)
        self.check_links(rec)
        self.store(rec, raw)
        if rec.kind == "refund":
            self.refunds.stored(item)
        return Outcome("stored", rec.sale_id, rec.seq)

    def check_links(self, rec: SaleRecord) -> None:
        if rec.seq == 1 and rec.prev_hash != GENESIS:
            message = "sale 1 does not start from the genesis hash"
            self.integrity(rec.seq, None, "bad_genesis", rec.sale_id, message)
        prev = self.by_seq.get(rec.seq - 1)
        if prev is not None and prev[1] != rec.prev_hash:
            message = (
                f"sale {rec.seq} does not chain to sale {rec.seq - 1} "
                f"(its prev_hash {rec.prev_hash[:12]}…, hash of {rec.seq - 1} {prev[1][:12]}…)"
            )
            self.integrity(rec.seq, rec.seq - 1, "broken_link", rec.sale_id, message)
        nxt = self.by_seq.get(rec.seq + 1)
        if nxt is not None and nxt[2] != rec.hash:
            message = (
                f"sale {rec.seq + 1} does not chain to sale {rec.seq} "
                f"(its prev_hash {nxt[2][:12]}…, hash of {rec.seq} {rec.hash[:12]}…)"
            )
            self.integrity(rec.seq + 1, rec.seq, "broken_link", nxt[0], message)

    # -- keeping ---------------------------------------------------------------------
    def store(self, rec: SaleRecord, raw: str) -> None:
        self.new_sales.append(
            {
                "sale_id": rec.sale_id,
                "till_id": rec.till_id,
                "seq": rec.seq,
                "closed_at": rec.closed_at,
                "day": local_day(rec.closed_at, self.clock_offset_s),
                "total": rec.total,
                "mode": rec.mode,
                "hash": rec.hash,
                "prev_hash": rec.prev_hash,
                "body": raw,
                "received_at": self.now,
            }
        )
        self.by_id[rec.sale_id] = (raw, rec.till_id, rec.seq)
        self.by_seq[rec.seq] = (rec.sale_id, rec.hash, rec.prev_hash)

    def keep_conflict(self, rec: SaleRecord, raw: str, reason: str, other: str) -> Outcome:
        key = (rec.sale_id, _sha(raw))
        seen = (
            key in self._conflict_keys
            or self.conn.execute(
                select(sale_conflicts.c.id).where(
                    sale_conflicts.c.sale_id == key[0], sale_conflicts.c.body_sha256 == key[1]
                )
            ).first()
        )
        message = (
            f"sale {rec.sale_id} is already stored with other content"
            if reason == "same_id_other_content"
            else f"till {rec.till_id} seq {rec.seq} is already sale {other}"
        )
        if not seen:
            self._conflict_keys.add(key)
            self.new_conflicts.append(
                {
                    "sale_id": rec.sale_id,
                    "till_id": self.till_id,
                    "seq": rec.seq,
                    "hash": rec.hash,
                    "reason": reason,
                    "existing_sale_id": other,
                    "body": raw,
                    "body_sha256": key[1],
                    "received_at": self.now,
                }
            )
            log.warning("conflict kept aside: %s", message)
        return Outcome("conflict", rec.sale_id, rec.seq, reason, message)

    def _quarantined_before(self, raw_sha: str) -> bool:
        if raw_sha in self._quarantine_keys:
            return True
        q = select(quarantine.c.id).where(
            quarantine.c.till_id == self.till_id, quarantine.c.raw_sha256 == raw_sha
        )
        return self.conn.execute(q).first() is not None

    def keep_quarantined(
        self, raw: str, sale_id: str | None, seq: int | None, reason: str, message: str
    ) -> Outcome:
        raw_sha = _sha(raw)
        if not self._quarantined_before(raw_sha):
            self._quarantine_keys.add(raw_sha)
            self.new_quarantine.append(
                {
                    "till_id": self.till_id,
                    "sale_id": sale_id,
                    "seq": seq,
                    "reason": reason,
                    "message": message,
                    "raw": raw,
                    "raw_sha256": raw_sha,
                    "received_at": self.now,
                }
            )
            log.warning("till %s: record quarantined (%s): %s", self.till_id, reason, message)
        return Outcome("quarantined", sale_id, seq, reason, message)

    def keep_bad_hash(self, rec: SaleRecord, raw: str) -> Outcome:
        message = f"sale {rec.seq} ({rec.sale_id}): its hash does not match its content"
        if not self._quarantined_before(_sha(raw)):
            self.integrity(rec.seq, None, "bad_hash", rec.sale_id, message)
        return self.keep_quarantined(raw, rec.sale_id, rec.seq, "bad_hash", message)

    def integrity(
        self, seq: int, prev_seq: int | None, kind: str, sale_id: str | None, message: str
    ) -> None:
        log.error("integrity: till %s: %s", self.till_id, message)
        self.new_integrity.append(
            {
                "till_id": self.till_id,
                "seq": seq,
                "prev_seq": prev_seq,
                "kind": kind,
                "sale_id": sale_id,
                "message": f"till {self.till_id}: {message}",
                "at": self.now,
            }
        )

    def judge_safely(self, item: Any, url_sale_id: str | None) -> Outcome:
        try:
            return self.judge(item, url_sale_id)
        except Exception as e:  # a bug must not block the records behind this one
            log.exception("till %s: record could not be judged", self.till_id)
            raw = orjson.dumps(item, default=repr).decode()
            return self.keep_quarantined(raw, None, None, "server_error", repr(e))


def _prefetch(conn: Connection, group: _Group, batches: dict[int, _Batch], jobs: list[Job]):
    """What the journal already holds of these records: by sale id, and by (till, seq)
    around each seq (for the chain links), a few statements for the whole group."""
    ids: set[str] = set()
    seqs: set[int] = set()
    for job in jobs:
        for r in job.items:
            if not isinstance(r, dict):
                continue
            if isinstance(r.get("sale_id"), str):
                ids.add(r["sale_id"])
            seq = _int(r.get("seq"))
            if seq is not None:
                seqs.update((*_around(seq), seq))
    id_list = sorted(ids)
    for i in range(0, len(id_list), _CHUNK):
        chunk = id_list[i : i + _CHUNK]
        n = _pow2(len(chunk))
        params = {f"i{k}": chunk[min(k, len(chunk) - 1)] for k in range(n)}
        for sale_id, body, till_id, seq in _rows(conn, _sales_by_ids(n), params):
            group.by_id[sale_id] = (body, till_id, seq)
    # Around the seqs of each till: one range per till when they lie close together (a
    # group of PUTs, an outbox upload), else each seq; rows of a till at seqs another
    # record did not ask for come along too: true, and harmless.
    ranges: dict[int, tuple[int, int]] = {}
    for job in jobs:
        for r in job.items:
            seq = _int(r.get("seq")) if isinstance(r, dict) else None
            if seq is not None and job.till_id in batches:
                lo, hi = ranges.get(job.till_id, (seq, seq))
                before, after = _around(seq)
                ranges[job.till_id] = (min(lo, before), max(hi, after))
    if sum(hi - lo + 1 for lo, hi in ranges.values()) <= 4 * len(seqs):
        spans = list(ranges.items())
        for i in range(0, len(spans), _CHUNK // 4):
            chunk = spans[i : i + _CHUNK // 4]
            n = _pow2(len(chunk))
            params = {}
            for k in range(n):
                till_id, (lo, hi) = chunk[min(k, len(chunk) - 1)]
                params.update({f"t{k}": till_id, f"lo{k}": lo, f"hi{k}": hi})
            for till_id, seq, sale_id, hash_, prev_hash in _rows(conn, _sales_in_ranges(n), params):
                if till_id in batches:
                    batches[till_id].by_seq[seq] = (sale_id, hash_, prev_hash)
        return
    seq_list, till_list = sorted(seqs), sorted(batches)
    for t in range(0, len(till_list), _CHUNK):
        for i in range(0, len(seq_list), _CHUNK):
            params = {"tills": till_list[t : t + _CHUNK], "seqs": seq_list[i : i + _CHUNK]}
            for row in conn.execute(_SALES_BY_SEQ, params):
                batches[row.till_id].by_seq[row.seq] = (row.sale_id, row.hash, row.prev_hash)


def _flush(conn: Connection, batches: list[_Batch]) -> None:
    """Everything the group keeps: one INSERT per table."""
    for table, attr in (
        (sales, "new_sales"),
        (sale_conflicts, "new_conflicts"),
        (quarantine, "new_quarantine"),
        (integrity_events, "new_integrity"),
    ):
        rows = [row for b in batches for row in getattr(b, attr)]
        if rows and table is sales and (q := _qmark(conn, _INSERT_SALE)) is not None:
            sql, names = q
            conn.connection.driver_connection.executemany(
                sql, [[row[n] for n in names] for row in rows]
            )
        elif rows:
            conn.execute(table.insert(), rows)
            for b in batches:
                getattr(b, attr).clear()
    if batches:
        batches[0].refunds.flush(conn)


@dataclass(frozen=True)
class Job:
    """The records of one call: a PUT (one record, the URL's sale id) or an upload."""

    till_id: int
    items: list[Any]
    url_sale_id: str | None = None


def judge_jobs(
    conn: Connection, jobs: list[Job], clock_offsets: Mapping[int, int] | None = None
) -> list[list[Outcome]]:
    """Judge and keep the records of several calls in the caller's transaction, in
    order, as if one after the other: a record sees every record before it.
    `clock_offsets`: `Store.clock_offsets`, for the business day of each sale."""
    group = _Group(clock_offsets)
    batches: dict[int, _Batch] = {}
    for job in jobs:
        if job.till_id not in batches:
            batches[job.till_id] = _Batch(conn, job.till_id, group)
    _prefetch(conn, group, batches, jobs)
    outcomes = []
    for job in jobs:
        batch = batches[job.till_id]
        outcomes.append([batch.judge_safely(item, job.url_sale_id) for item in job.items])
    _flush(conn, list(batches.values()))
    return outcomes


def _judge_all(
    conn: Connection,
    till_id: int,
    items: list[Any],
    url_sale_id: str | None,
    clock_offsets: Mapping[int, int] | None = None,
):
    return judge_jobs(conn, [Job(till_id, items, url_sale_id)], clock_offsets)[0]


def ingest_batch(
    store: Store,
    till_id: int,
    items: list[Any],
    *,
    url_sale_id: str | None = None,
    contiguous: bool = True,
) -> tuple[list[Outcome], int | None]:
    """Judge and keep every item in one transaction; (outcomes in order, the
    till's contiguous seq, or None when not asked for)."""
    try:
        with store.write() as conn:
            outcomes = _judge_all(conn, till_id, items, url_sale_id, store.clock_offsets)
            held = advance_contiguous(conn, till_id) if contiguous else None
            crash_point("before_commit")
        crash_point("after_commit")
        return outcomes, held
    except Exception:
        log.exception(
            "till %s: writing %d record(s) failed, retrying one by one", till_id, len(items)
        )
    # Something failed while writing the lot: one transaction per record, so a
    # record that cannot be written is quarantined and the others still stored.
    outcomes = []
    for item in items:
        try:
            with store.write() as conn:
                outcomes.extend(_judge_all(conn, till_id, [item], url_sale_id, store.clock_offsets))
        except Exception as e:
            with store.write() as conn:
                b = _Batch(conn, till_id)
                raw = orjson.dumps(item, default=repr).decode()
                outcomes.append(b.keep_quarantined(raw, None, None, "server_error", repr(e)))
                _flush(conn, [b])
    with store.write() as conn:
        held = advance_contiguous(conn, till_id) if contiguous else None
    return outcomes, held


def put_record(body: bytes | str) -> tuple[Any, str | None]:
    """The record in a PUT body: (record, None), or ({"raw": text}, why) if it is not JSON."""
    try:
        return orjson.loads(body), None
    except orjson.JSONDecodeError as e:
        text = body.decode("utf-8", "backslashreplace") if isinstance(body, bytes) else body
        return {"raw": text}, f"malformed JSON: {e}"


def put_outcome(outcome: Outcome, sale_id: str | None, bad_json: str | None) -> Outcome:
    """The answer to a PUT: a body that was not JSON says so."""
    if bad_json is None:
        return outcome
    return Outcome(outcome.status, sale_id, None, "malformed_json", bad_json)


def ingest(store: Store, till_id: int, body: bytes | str, sale_id: str | None = None) -> Outcome:
    """One record as PUT /sales/{sale_id} receives it (raw bytes, maybe not even JSON)."""
    item, bad_json = put_record(body)
    # The contiguous seq is not part of this answer: its cache catches up at the next upload.
    outcomes, _ = ingest_batch(store, till_id, [item], url_sale_id=sale_id, contiguous=False)
    return put_outcome(outcomes[0], sale_id, bad_json)
