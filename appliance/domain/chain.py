"""The per-till hash chain: hash = sha256(prev_hash + canonical(record)).

One canonical form: `canonical` is its definition (json.dumps, keys sorted, no
spaces, UTF-8); `fast_canonical` gives the same bytes with orjson for records
made only of strings, integers, booleans, nulls, arrays and objects (the
server's ingestion, where each record is checked). Both are tested equal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = [
    "GENESIS",
    "ChainBreak",
    "canonical",
    "fast_canonical",
    "is_plain",
    "record_hash",
    "verify_chain",
    "verify_record",
    "verify_record_fast",
]

GENESIS = "0" * 64


def canonical(obj: Any) -> bytes:
    """The one byte form of a record that everybody hashes."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


_PLAIN = frozenset({str, int, bool, type(None), list, dict})


def is_plain(obj: Any) -> bool:
    """True when `obj` holds only JSON's strings, integers, booleans, nulls, arrays and
    objects: no float (orjson and json print some differently, and orjson.loads makes
    a float of an integer beyond 64 bits) and nothing json.dumps would refuse."""
    t = type(obj)
    if t is dict:
        values: Any = obj.values()
    elif t is list:
        values = obj
    else:
        return t in _PLAIN
    types = set(map(type, values))
    if not types <= _PLAIN:
        return False
    if dict in types or list in types:
        try:
            return all(is_plain(v) for v in values if type(v) is dict or type(v) is list)
        except RecursionError:
            return False
    return True


def fast_canonical(obj: Any, plain: bool) -> bytes:
    """`canonical(obj)`, the same bytes, several times faster when `plain`:
    orjson, keys sorted, prints strings, integers, booleans and nulls exactly as
    json.dumps(ensure_ascii=False) does (tests/unit/test_domain_chain.py checks it).
    Anything else goes to the reference, `canonical`."""
    if plain:
        try:
            return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, a key not str
            pass
    return canonical(obj)


def verify_record_fast(item: Mapping[str, Any], plain: bool) -> bool:
    """`verify_record(item)`, on `fast_canonical`: the record's hash is
    sha256(prev_hash + canonical(the record without "hash"))."""
    try:
        body = {k: v for k, v in item.items() if k != "hash"}
        prev = str(item.get("prev_hash", ""))
        data = prev.encode("ascii", "replace") + fast_canonical(body, plain)
        return item.get("hash") == hashlib.sha256(data).hexdigest()
    except (TypeError, ValueError):
        return False


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
