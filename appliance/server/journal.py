"""Reading the sales journal and what was kept aside beside it."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select

from .storage import Store, integrity_events, quarantine, sale_conflicts, sales

__all__ = ["conflict_list", "integrity_list", "journal_page", "quarantine_list"]


def journal_page(
    store: Store, *, till_id: int | None = None, after_seq: int = 0, limit: int = 500
) -> list[dict[str, Any]]:
    """Sale records in (till, seq) order; with `till_id`, those after `after_seq`."""
    q = select(sales.c.body)
    if till_id is not None:
        q = q.where(sales.c.till_id == till_id)
    if after_seq:
        q = q.where(sales.c.seq > after_seq)
    q = q.order_by(sales.c.till_id, sales.c.seq).limit(limit)
    with store.read() as conn:
        return [orjson.loads(body) for body in conn.execute(q).scalars()]


def conflict_list(store: Store, limit: int = 1000) -> list[dict[str, Any]]:
    """Sales kept aside because their id or seq was already taken by other content."""
    with store.read() as conn:
        rows = conn.execute(select(sale_conflicts).order_by(sale_conflicts.c.id).limit(limit)).all()
    return [
        {
            "id": r.id,
            "sale_id": r.sale_id,
            "till_id": r.till_id,
            "seq": r.seq,
            "reason": r.reason,
            "existing_sale_id": r.existing_sale_id,
            "received_at": r.received_at,
            "record": orjson.loads(r.body),
        }
        for r in rows
    ]


def quarantine_list(store: Store, limit: int = 1000) -> list[dict[str, Any]]:
    """Records that could not be taken in as they were, with their raw text."""
    with store.read() as conn:
        rows = conn.execute(select(quarantine).order_by(quarantine.c.id).limit(limit)).all()
    return [
        {
            "id": r.id,
            "till_id": r.till_id,
            "sale_id": r.sale_id,
            "seq": r.seq,
            "reason": r.reason,
            "message": r.message,
            "raw": r.raw,
            "received_at": r.received_at,
        }
        for r in rows
    ]


def integrity_list(store: Store, limit: int = 1000) -> list[dict[str, Any]]:
    """Breaks of the tills' hash chains: bad hashes, broken links, a bad first link."""
    with store.read() as conn:
        rows = conn.execute(
            select(integrity_events).order_by(integrity_events.c.id).limit(limit)
        ).all()
    return [
        {
            "id": r.id,
            "till_id": r.till_id,
            "seq": r.seq,
            "prev_seq": r.prev_seq,
            "kind": r.kind,
            "sale_id": r.sale_id,
            "message": r.message,
            "at": r.at,
        }
        for r in rows
    ]
