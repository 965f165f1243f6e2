"""Refunds on the server: the sale a ticket names, with the refunds made of it, and
the check of each refund record at upload.

A refund record (`kind: "refund"`, domain/refund.py) is judged as a sale is (shape,
hash, seq, duplicate), then checked against the journal: the sale it gives back
must be there, and it must give back no more than is left of each line once the
refunds stored before are taken off. One that fails (an over-refund made by an
autonomous till, two tills refunding the same ticket) is kept aside in the
quarantine with its reason (`over_refund`, `refund_of_unknown`): its seq is held,
the manager sees it in the back office, and it is never lost.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, select

from appliance.domain.refund import refundable

from .storage import Store, refund_links, sales

__all__ = ["RefundCheck", "find_ticket"]


class RefundCheck:
    """What one ingest transaction knows of refunds: the links it will write and the
    refunds it stored already (a refund sees the ones before it in the same upload)."""

    def __init__(self) -> None:
        self.new_links: list[dict[str, str]] = []
        self._stored: dict[str, list[dict[str, Any]]] = {}

    def refusal(
        self, conn: Connection, item: dict[str, Any], by_id: dict[str, Any]
    ) -> tuple[str, str] | None:
        """(reason, message) when the refund cannot be stored, else None."""
        of = str(item["refund_of"])
        known = by_id.get(of)
        body = known[0] if known else _body(conn, of)
        sale = orjson.loads(body) if body else None
        if sale is None or sale.get("kind", "sale") != "sale":
            return "refund_of_unknown", f"refund {item['sale_id']}: no sale {of} in the journal"
        rows = refundable(sale, [*_refunds_of(conn, of), *self._stored.get(of, [])])
        for ln in item["lines"]:
            i = int(ln["line"])
            row = rows[i] if 0 <= i < len(rows) else None
            if row is None or row["article_id"] != ln["article_id"]:
                return "over_refund", f"refund {item['sale_id']}: sale {of} has no such line {i}"
            if ln["quantity"] > row["left"] or ln["amount"] > row["left_amount"]:
                return "over_refund", (
                    f"refund {item['sale_id']} (till {item['till_id']}, seq {item['seq']}) gives "
                    f"back {ln['quantity']} x {row['name']} ({ln['amount']} c) of sale {of}, "
                    f"but {row['left']} ({row['left_amount']} c) were left to refund"
                )
        return None

    def stored(self, item: dict[str, Any]) -> None:
        of = str(item["refund_of"])
        self._stored.setdefault(of, []).append(item)
        self.new_links.append({"refund_id": str(item["sale_id"]), "sale_id": of})

    def flush(self, conn: Connection) -> None:
        if self.new_links:
            conn.execute(refund_links.insert(), self.new_links)
            self.new_links.clear()


def _body(conn: Connection, sale_id: str) -> str | None:
    return conn.execute(select(sales.c.body).where(sales.c.sale_id == sale_id)).scalar()


def _refunds_of(conn: Connection, sale_id: str) -> list[dict[str, Any]]:
    q = (
        select(sales.c.body)
        .join(refund_links, refund_links.c.refund_id == sales.c.sale_id)
        .where(refund_links.c.sale_id == sale_id)
        .order_by(sales.c.closed_at)
    )
    return [orjson.loads(b) for b in conn.execute(q).scalars()]


def find_ticket(
    store: Store, *, sale_id: str | None = None, till_id: int | None = None, seq: int | None = None
) -> dict[str, Any] | None:
    """The sale a ticket names (by its id, or its till and seq) and the refunds stored of
    it: {"sale": record, "refunds": [records]}, or None when the journal has no such
    record. A refund's own ticket comes back too: the till says it is a credit note."""
    with store.read() as conn:
        if sale_id is not None:
            q = select(sales.c.body).where(sales.c.sale_id == sale_id)
        else:
            q = select(sales.c.body).where(sales.c.till_id == till_id, sales.c.seq == seq)
        body = conn.execute(q).scalar()
        if body is None:
            return None
        sale = orjson.loads(body)
        return {"sale": sale, "refunds": _refunds_of(conn, str(sale["sale_id"]))}
