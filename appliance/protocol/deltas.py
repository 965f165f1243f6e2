"""The delta feed's wire form: numbered changes on top of a snapshot.

A delta is one JSON object, `{"seq": n, "at": "...", "ops": [...]}`, sent as
its canonical text (`body`) with the server's Ed25519 signature of exactly
those bytes. A till applies delta n only on top of delta n-1 (or of the
snapshot whose meta says `delta_seq: n-1`), and refuses any field it does not
know: a till that does not understand a change must not half-apply it.

The operations, each with exactly these fields:

- `article`: `article` = a whole article as in the snapshot (`article_id`,
  `name`, `price`, `vat_bp`, `category`, `barcodes`): created or replaced.
- `archive`: `article_id`: no longer sold (its barcodes go with it).
- `button`: `article_id`, `screen_id`, `position`, `label`, `colour`: the
  article's button on a till page (moved there from any other page);
  `screen_id` null takes it off every page.
- `page`: `screen_id`, `name`, `position`, `colour`: a till page, created (the
  page "Nouveaux" of the articles made at a till that have no page) or renamed.
- `cashier`: `cashier` = `cashier_id`, `name`, `role`, `pin_hash`: created or
  replaced (a PIN changed).
- `cashier_off`: `cashier_id`: disabled, no longer logs in.
"""

from __future__ import annotations

import re
from typing import Any

from appliance.domain.chain import canonical

__all__ = [
    "ARTICLE_FIELDS",
    "TILL_VERSION_HEADER",
    "DeltaInvalid",
    "OPS",
    "check_delta",
    "delta_body",
]

#: sent by a till with its delta polls: its software version, shown in the back office
TILL_VERSION_HEADER = "X-Till-Version"

ARTICLE_FIELDS = frozenset({"article_id", "name", "price", "vat_bp", "category", "barcodes"})
CASHIER_FIELDS = frozenset({"cashier_id", "name", "role", "pin_hash"})
OPS: dict[str, frozenset[str]] = {
    "article": frozenset({"op", "article"}),
    "archive": frozenset({"op", "article_id"}),
    "button": frozenset({"op", "article_id", "screen_id", "position", "label", "colour"}),
    "page": frozenset({"op", "screen_id", "name", "position", "colour"}),
    "cashier": frozenset({"op", "cashier"}),
    "cashier_off": frozenset({"op", "cashier_id"}),
}
DELTA_FIELDS = frozenset({"seq", "at", "ops"})
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_OPS = 5000


class DeltaInvalid(ValueError):
    """A delta a till must refuse; `reason` is a short code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def delta_body(seq: int, at: str, ops: list[dict[str, Any]]) -> bytes:
    """The bytes the server stores and signs."""
    return canonical({"seq": seq, "at": at, "ops": ops})


def _int(v: Any, lo: int, hi: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _exact(obj: Any, fields: frozenset[str], what: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise DeltaInvalid("bad_shape", f"{what} is not an object")
    extra = set(obj) - fields
    if extra:
        raise DeltaInvalid("unknown_field", f"{what} has unknown field(s): {sorted(extra)}")
    missing = fields - set(obj)
    if missing:
        raise DeltaInvalid("bad_shape", f"{what} lacks {sorted(missing)}")
    return obj


def _article(a: Any) -> None:
    _exact(a, ARTICLE_FIELDS, "an article")
    if not isinstance(a["article_id"], str) or not _ID.match(a["article_id"]):
        raise DeltaInvalid("bad_value", "article_id: an identifier")
    if not isinstance(a["name"], str) or not 1 <= len(a["name"]) <= 200:
        raise DeltaInvalid("bad_value", "name: 1 to 200 characters")
    if not _int(a["price"], 0, 10**11) or not _int(a["vat_bp"], 0, 10000):
        raise DeltaInvalid("bad_value", "price and vat_bp: whole numbers in range")
    if not isinstance(a["category"], str) or len(a["category"]) > 64:
        raise DeltaInvalid("bad_value", "category: a text")
    codes = a["barcodes"]
    if not isinstance(codes, list) or not all(isinstance(c, str) and _CODE.match(c) for c in codes):
        raise DeltaInvalid("bad_value", "barcodes: a list of codes")


def _op(op: Any, i: int) -> None:
    if not isinstance(op, dict) or op.get("op") not in OPS:
        kind = op.get("op") if isinstance(op, dict) else None
        raise DeltaInvalid("unknown_op", f"operation {i}: unknown kind {kind!r}")
    kind = op["op"]
    _exact(op, OPS[kind], f"operation {i} ({kind})")
    if kind == "article":
        _article(op["article"])
    elif kind in ("archive", "button"):
        if not isinstance(op["article_id"], str) or not _ID.match(op["article_id"]):
            raise DeltaInvalid("bad_value", f"operation {i}: article_id")
        if kind == "button":
            if op["screen_id"] is not None and not _int(op["screen_id"], 1, 2**31):
                raise DeltaInvalid("bad_value", f"operation {i}: screen_id")
            if not _int(op["position"], 0, 10000):
                raise DeltaInvalid("bad_value", f"operation {i}: position")
            if not isinstance(op["label"], str) or len(op["label"]) > 120:
                raise DeltaInvalid("bad_value", f"operation {i}: label")
            if not isinstance(op["colour"], str) or not _COLOUR.match(op["colour"]):
                raise DeltaInvalid("bad_value", f"operation {i}: colour #rrggbb")
    elif kind == "page":
        if not _int(op["screen_id"], 1, 2**31) or not _int(op["position"], 0, 10000):
            raise DeltaInvalid("bad_value", f"operation {i}: screen_id and position")
        if not isinstance(op["name"], str) or not 1 <= len(op["name"]) <= 120:
            raise DeltaInvalid("bad_value", f"operation {i}: name")
        if not isinstance(op["colour"], str) or not _COLOUR.match(op["colour"]):
            raise DeltaInvalid("bad_value", f"operation {i}: colour #rrggbb")
    elif kind == "cashier":
        c = _exact(op["cashier"], CASHIER_FIELDS, f"operation {i}: cashier")
        if not all(isinstance(c[k], str) for k in CASHIER_FIELDS) or c["role"] not in (
            "cashier",
            "manager",
        ):
            raise DeltaInvalid("bad_value", f"operation {i}: cashier fields")
    elif not isinstance(op["cashier_id"], str) or not _ID.match(op["cashier_id"]):
        raise DeltaInvalid("bad_value", f"operation {i}: cashier_id")


def check_delta(doc: Any, seq: int) -> dict[str, Any]:
    """The delta of these bytes' parse if it is well formed and numbered `seq`."""
    _exact(doc, DELTA_FIELDS, "the delta")
    if doc["seq"] != seq or not _int(doc["seq"], 1, 2**63 - 1):
        raise DeltaInvalid("bad_seq", f"the delta says seq {doc['seq']!r}, expected {seq}")
    if not isinstance(doc["at"], str):
        raise DeltaInvalid("bad_shape", "at: a time")
    ops = doc["ops"]
    if not isinstance(ops, list) or not 1 <= len(ops) <= MAX_OPS:
        raise DeltaInvalid("bad_shape", f"ops: a list of 1 to {MAX_OPS} operations")
    for i, op in enumerate(ops):
        _op(op, i)
    return doc
