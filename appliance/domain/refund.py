"""A refund: lines of a past sale given back, and the record it becomes.

A refund goes where a sale goes: the till's outbox, its hash chain (the next seq,
the previous hash), the store's journal. Its record (`kind: "refund"`) names the
sale it gives back (`refund_of`, the sale id, and `original`: till, seq, time,
total) and each line it gives back by the line's place in that sale (`line`),
with the quantity and the amount. Amounts are positive: the figures take them
off the day's takings (figures.py).

What a line gives back is its share of what was paid: its total after its own
discount, less its part of the sale's discount (spread in proportion to the
lines, largest remainder, as the VAT spreads it). Refunding q of the Q sold when
`before` were refunded already gives `net*(before+q)//Q - net*before//Q`: the
refunds of a line add up to exactly what it was paid, however it is split.

Never more than was sold: `refundable` says what is left of each line once the
refunds made before are taken off, and `close_refund` refuses anything above it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .chain import record_hash
from .sale import SaleError
from .vat import vat_breakdown

__all__ = [
    "REFUND_METHODS",
    "Ticket",
    "close_refund",
    "line_nets",
    "parse_ticket",
    "refund_amount",
    "refund_method",
    "refundable",
    "ticket_reference",
]

RECORD_VERSION = 1
#: how a refund is paid back: the card it was paid with, or cash from the drawer
REFUND_METHODS = ("cash", "card")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TILL_SEQ = re.compile(r"^[Tt]?\s*(\d{1,9})\s*[-/.,]\s*(\d{1,18})$")
_SEQ = re.compile(r"^(?:[Nn][°o]?\s*)?(\d{1,18})$")


@dataclass(frozen=True)
class Ticket:
    """What a receipt names a sale by: its id (the QR code), or a till and a seq."""

    till_id: int | None = None
    seq: int | None = None
    sale_id: str | None = None

    def __str__(self) -> str:
        if self.sale_id:
            return self.sale_id
        return ticket_reference(self.till_id or 0, self.seq or 0)


def ticket_reference(till_id: int, seq: int) -> str:
    """The reference a receipt prints under its number: "T2-118" (till 2, sale 118)."""
    return f"T{int(till_id)}-{int(seq)}"


def parse_ticket(text: Any, own_till: int) -> Ticket:
    """A ticket as the cashier types or scans it: "118" (this till's sale 118),
    "T2-118", "2-118" or "2,118" (till 2: the keypad's comma), or the sale id the
    receipt's QR code holds. SaleError `bad_ticket` for anything else."""
    s = str(text or "").strip()
    if _UUID.match(s):
        return Ticket(sale_id=s.lower())
    m = _TILL_SEQ.match(s)
    if m and int(m.group(1)) >= 1 and int(m.group(2)) >= 1:
        return Ticket(till_id=int(m.group(1)), seq=int(m.group(2)))
    m = _SEQ.match(s)
    if m and int(m.group(1)) >= 1:
        return Ticket(till_id=int(own_till), seq=int(m.group(1)))
    raise SaleError(
        "bad_ticket", f"{s!r} is not a ticket number (118, T2-118) nor a receipt's code"
    )


def line_nets(sale: Mapping[str, Any]) -> list[int]:
    """What each line of a sale record was paid: its total after its own discount,
    less its share of the sale's discount (largest remainder: they add up to the
    sale's total)."""
    grosses = [
        int(ln["unit_price"]) * int(ln["quantity"]) - int(ln.get("discount") or 0)
        for ln in sale.get("lines") or []
    ]
    discount = int(sale.get("sale_discount") or 0)
    total = sum(grosses)
    if not discount or not total:
        return grosses
    shares = [(g * discount) // total for g in grosses]
    rest = discount - sum(shares)
    order = sorted(range(len(grosses)), key=lambda i: (-((grosses[i] * discount) % total), i))
    for i in order[:rest]:
        shares[i] += 1
    return [g - s for g, s in zip(grosses, shares, strict=True)]


def refundable(
    sale: Mapping[str, Any], before: Iterable[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """Each line of `sale` with what was sold, what the refunds `before` (refund
    records of this sale, or their lines) gave back, and what is left."""
    nets = line_nets(sale)
    done_qty = [0] * len(nets)
    done_amount = [0] * len(nets)
    for refund in before:
        for ln in refund.get("lines") or []:
            i = int(ln.get("line", -1))
            if 0 <= i < len(nets):
                done_qty[i] += int(ln.get("quantity") or 0)
                done_amount[i] += int(ln.get("amount") or 0)
    rows = []
    for i, ln in enumerate(sale.get("lines") or []):
        sold = int(ln["quantity"])
        rows.append(
            {
                "line": i,
                "article_id": ln["article_id"],
                "name": ln.get("name", ""),
                "unit_price": int(ln["unit_price"]),
                "vat_bp": int(ln["vat_bp"]),
                "category": ln.get("category", ""),
                "sold": sold,
                "net": nets[i],
                "refunded": done_qty[i],
                "refunded_amount": done_amount[i],
                "left": max(sold - done_qty[i], 0),
                "left_amount": max(nets[i] - done_amount[i], 0),
            }
        )
    return rows


def refund_amount(row: Mapping[str, Any], quantity: int) -> int:
    """What refunding `quantity` more of the line `row` (of `refundable`) gives back."""
    return _amount(row, quantity)


def _amount(row: Mapping[str, Any], quantity: int) -> int:
    net, sold, before = int(row["net"]), int(row["sold"]), int(row["refunded"])
    amount = net * (before + quantity) // sold - net * before // sold
    return min(amount, int(row["left_amount"]))


def refund_method(sale: Mapping[str, Any], choice: str) -> str:
    """The method a refund is paid back with: "cash", "card", or "original" (the card
    when the sale was paid by card, else cash: cash, cheques and meal vouchers are
    given back in cash)."""
    if choice in REFUND_METHODS:
        return choice
    if choice != "original":
        raise SaleError(
            "bad_refund_method", f"a refund is paid back in cash or to the card, not {choice!r}"
        )
    paid_card = any(p.get("method") == "card" for p in sale.get("payments") or [])
    return "card" if paid_card else "cash"


def _card_left(sale: Mapping[str, Any], before: Iterable[Mapping[str, Any]]) -> int:
    paid = sum(int(p["amount"]) for p in sale.get("payments") or [] if p.get("method") == "card")
    back = sum(
        int(p["amount"])
        for r in before
        for p in r.get("payments") or []
        if p.get("method") == "card"
    )
    return paid - back


def close_refund(
    sale: Mapping[str, Any],
    picks: Mapping[int, int],
    before: Iterable[Mapping[str, Any]] = (),
    *,
    refund_id: str,
    till_id: int,
    seq: int,
    prev_hash: str,
    closed_at: datetime,
    cashier_id: str,
    mode: str,
    snapshot_version: int | None,
    method: str = "original",
    approved_by: str | None = None,
    clock_behind: bool = False,
) -> dict[str, Any]:
    """The record of a refund of the lines `picks` ({line index: quantity}) of the sale
    record `sale`, given the refunds of it made `before`. SaleError with the code the
    screens translate: `not_a_sale`, `refund_nothing`, `no_such_line`, `bad_quantity`,
    `refund_too_much`, `bad_refund_method`, `refund_card_over`."""
    if sale.get("kind", "sale") != "sale":
        raise SaleError("not_a_sale", "this ticket is a credit note, not a sale")
    before = list(before)
    rows = refundable(sale, before)
    lines = []
    for index, quantity in sorted(picks.items()):
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise SaleError("bad_quantity", "a quantity to refund is a whole number")
        if quantity == 0:
            continue
        if not isinstance(index, int) or not 0 <= index < len(rows):
            raise SaleError("no_such_line", f"the sale has no line {index}")
        row = rows[index]
        if quantity > row["left"]:
            raise SaleError(
                "refund_too_much",
                f"{row['name']}: {quantity} to refund, but {row['sold']} sold and "
                f"{row['refunded']} refunded already ({row['left']} left)",
            )
        lines.append(
            {
                "line": index,
                "article_id": row["article_id"],
                "name": row["name"],
                "unit_price": row["unit_price"],
                "quantity": quantity,
                "vat_bp": row["vat_bp"],
                "category": row["category"],
                "amount": _amount(row, quantity),
            }
        )
    if not lines:
        raise SaleError("refund_nothing", "choose at least one line to refund")
    if mode not in ("online", "autonomous"):
        raise SaleError("bad_mode", f"unknown mode {mode!r}")
    if closed_at.tzinfo is None:
        raise SaleError("bad_time", "the refund time must carry its time zone")
    total = sum(ln["amount"] for ln in lines)
    how = refund_method(sale, method)
    if how == "card" and total > _card_left(sale, before):
        raise SaleError(
            "refund_card_over",
            f"the card paid {max(_card_left(sale, before), 0)} c that can still go back: "
            "refund the rest in cash",
        )
    grosses: dict[int, int] = {}
    for ln in lines:
        grosses[ln["vat_bp"]] = grosses.get(ln["vat_bp"], 0) + ln["amount"]
    record: dict[str, Any] = {
        "kind": "refund",
        "v": RECORD_VERSION,
        "sale_id": refund_id,
        "till_id": till_id,
        "seq": seq,
        "closed_at": closed_at.isoformat(),
        "cashier_id": cashier_id,
        "mode": mode,
        "snapshot_version": snapshot_version,
        "refund_of": str(sale["sale_id"]),
        "original": {
            "till_id": int(sale["till_id"]),
            "seq": int(sale["seq"]),
            "closed_at": str(sale["closed_at"]),
            "total": int(sale["total"]),
        },
        "lines": lines,
        "total": total,
        "vat": [v.as_dict() for v in vat_breakdown(grosses)],
        "payments": [{"method": how, "amount": total}] if total else [],
        "approved_by": approved_by,
        "clock_behind": clock_behind,
        "prev_hash": prev_hash,
    }
    record["hash"] = record_hash(record)
    return record
