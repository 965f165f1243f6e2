"""Cash control at the till: the opening float, cash put in or taken out with a reason,
and the count of the drawer (notes and coins) against what it should hold.

Each is a record of its own (`kind: "cash"`), in the till's chain and seqs like a
sale: `action` float, in, out or count; `amount` the cents moved (for a count, the
cents counted); `reason`; for a count, `counted` {denomination in cents: how many},
`expected` the cash the drawer should hold and `difference` (counted - expected).

The expected cash of a day: the float + cash sales net of the change given - cash
refunds + cash in - cash out (`cash_figures`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .chain import record_hash
from .sale import SaleError

__all__ = [
    "ACTIONS",
    "DENOMINATIONS",
    "MANAGER_ACTIONS",
    "cash_figures",
    "close_cash",
    "parse_amount",
    "parse_count",
]

RECORD_VERSION = 1
#: float, cash in, cash out, the count of the drawer
ACTIONS = ("float", "in", "out", "count")
#: what only a manager does
MANAGER_ACTIONS = frozenset({"out", "count"})
#: the euro's notes and coins, in cents, largest first
DENOMINATIONS = (50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1)
MAX_PIECES = 100_000
MAX_AMOUNT = 10**9
MAX_REASON = 80


def _whole(value: Any) -> int | None:
    """A whole number >= 0 given as an int or as digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return int(value.strip())
    return None


def parse_amount(value: Any) -> int:
    """Cents moved in or out, or the float: a whole number of cents above 0."""
    cents = _whole(value)
    if cents is None or cents == 0 or cents > MAX_AMOUNT:
        raise SaleError("bad_cash_amount", f"an amount is whole cents above 0, not {value!r}")
    return cents


def parse_count(counted: Any) -> dict[int, int]:
    """{denomination: pieces} as typed ({"5000": 2, "200": "3"}): every denomination a
    euro note or coin in cents, every count a whole number >= 0. SaleError `bad_count`
    naming the first wrong entry: nothing is counted from a count that is wrong."""
    if not isinstance(counted, Mapping):
        raise SaleError("bad_count", "the count is {denomination in cents: pieces}")
    pieces: dict[int, int] = {}
    for key, value in counted.items():
        denom = _whole(key)
        if denom not in DENOMINATIONS:
            raise SaleError("bad_count", f"{key!r} is not a note or coin (cents)")
        n = _whole(value)
        if n is None or n > MAX_PIECES:
            raise SaleError("bad_count", f"{value!r} pieces of {key}: a whole number >= 0")
        pieces[denom] = pieces.get(denom, 0) + n
    return {d: pieces[d] for d in DENOMINATIONS if pieces.get(d)}


def close_cash(
    action: str,
    *,
    record_id: str,
    till_id: int,
    seq: int,
    prev_hash: str,
    closed_at: datetime,
    cashier_id: str,
    mode: str,
    snapshot_version: int | None,
    amount: Any = None,
    reason: str = "",
    counted: Any = None,
    expected: int | None = None,
    approved_by: str | None = None,
    clock_behind: bool = False,
) -> dict[str, Any]:
    """The record of one cash movement or count. SaleError: `bad_cash_action`,
    `bad_cash_amount`, `reason_needed`, `bad_count`."""
    if action not in ACTIONS:
        raise SaleError("bad_cash_action", f"a cash action is one of {', '.join(ACTIONS)}")
    if closed_at.tzinfo is None:
        raise SaleError("bad_time", "the time must carry its time zone")
    reason = str(reason or "").strip()[:MAX_REASON]
    record: dict[str, Any] = {
        "kind": "cash",
        "v": RECORD_VERSION,
        "sale_id": record_id,
        "till_id": till_id,
        "seq": seq,
        "closed_at": closed_at.isoformat(),
        "cashier_id": cashier_id,
        "mode": mode,
        "snapshot_version": snapshot_version,
        "action": action,
    }
    if action == "count":
        pieces = parse_count(counted)
        total = sum(d * n for d, n in pieces.items())
        record["counted"] = {str(d): n for d, n in pieces.items()}
        record["amount"] = total
        record["expected"] = int(expected or 0)
        record["difference"] = total - int(expected or 0)
    else:
        record["amount"] = parse_amount(amount)
        if action in ("in", "out") and not reason:
            raise SaleError("reason_needed", "say why cash goes in or out")
    record.update(
        reason=reason, approved_by=approved_by, clock_behind=clock_behind, prev_hash=prev_hash
    )
    record["hash"] = record_hash(record)
    return record


def cash_figures(records: Iterable[Mapping[str, Any]], net_cash: int = 0) -> dict[str, Any]:
    """The float, cash in and out, and the last count of the cash records `records` of a
    day; `expected` the cash the drawer should hold given `net_cash` (cash sales net of
    the change - cash refunds), and the last count's `difference` against it now."""
    floats = cash_in = cash_out = movements = 0
    last: Mapping[str, Any] | None = None
    for rec in records:
        action, amount = rec.get("action"), int(rec.get("amount", 0))
        movements += 1
        if action == "float":
            floats += amount
        elif action == "in":
            cash_in += amount
        elif action == "out":
            cash_out += amount
        elif action == "count":
            last = rec
    expected = floats + net_cash + cash_in - cash_out
    counted = int(last["amount"]) if last is not None else None
    return {
        "float": floats,
        "cash_in": cash_in,
        "cash_out": cash_out,
        "movements": movements,
        "expected": expected,
        "counted": counted,
        "difference": None if counted is None else counted - expected,
    }
