"""The per-till hash chain: hash = sha256(prev_hash + canonical(record))."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["GENESIS", "ChainBreak", "canonical", "record_hash", "verify_chain", "verify_record"]

GENESIS = "0" * 64


def canonical(obj: Any) -> bytes:
    """The one byte form of a record that everybody hashes."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def record_hash(record: Mapping[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    prev = str(record.get("prev_hash", ""))
    return hashlib.sha256(prev.encode("ascii", "replace") + canonical(body)).hexdigest()


def verify_record(record: Mapping[str, Any]) -> bool:
    """True when the record's own hash matches its content."""
    try:
        return record.get("hash") == record_hash(record)
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str  # "bad_hash" | "broken_link" | "bad_genesis"

    def __str__(self) -> str:
        return f"sale {self.seq}: {self.reason.replace('_', ' ')}"


def verify_chain(records: Iterable[Mapping[str, Any]]) -> list[ChainBreak]:
    """Check each record's hash and each link where the previous seq is present."""
    breaks: list[ChainBreak] = []
    by_seq = {int(r["seq"]): r for r in records}
    for seq in sorted(by_seq):
        rec = by_seq[seq]
        if not verify_record(rec):
            breaks.append(ChainBreak(seq, "bad_hash"))
        if seq == 1 and rec.get("prev_hash") != GENESIS:
            breaks.append(ChainBreak(seq, "bad_genesis"))
        prev = by_seq.get(seq - 1)
        if prev is not None and rec.get("prev_hash") != prev.get("hash"):
            breaks.append(ChainBreak(seq, "broken_link"))
    return breaks
