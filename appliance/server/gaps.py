"""Sequence gaps: which sales of each till the server has not received yet.

A seq counts as held when the sale is in the journal, or was kept aside as a
conflict or a quarantined record. `contiguous_seq` is the highest n such that
every seq 1..n is held; pending ranges are the seqs missing between 1 and
max(highest seq received, last seq the till reported).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, union

from .storage import Store, quarantine, sale_conflicts, sales, tills

__all__ = [
    "advance_contiguous",
    "cached_contiguous",
    "contiguous_from",
    "held_seqs_above",
    "missing_ranges",
    "pending",
    "pending_text",
]


def held_seqs_above(
    conn: Connection, till_id: int, above: int, upto: int | None = None
) -> list[int]:
    """Sorted seqs > `above` (and <= `upto`) that this till has in the journal or
    kept aside."""

    def span(column: Any) -> Any:
        return column > above if upto is None else (column > above) & (column <= upto)

    q = union(
        select(sales.c.seq).where(sales.c.till_id == till_id, span(sales.c.seq)),
        select(sale_conflicts.c.seq).where(
            sale_conflicts.c.till_id == till_id, span(sale_conflicts.c.seq)
        ),
        select(quarantine.c.seq).where(
            quarantine.c.till_id == till_id,
            quarantine.c.seq.is_not(None),
            span(quarantine.c.seq),
        ),
    )
    return sorted(int(s) for s in conn.execute(q).scalars())


#: seqs read at a time when walking the contiguous seq forward: behind a gap that
#: stays (sales still on an autonomous till) nothing more is read than this
WALK = 1000


def contiguous_from(conn: Connection, till_id: int, start: int) -> int:
    """The till's contiguous seq, walked forward from `start` (a value known to be held
    contiguously: what is held is never removed). Reads only."""
    n = start
    while True:
        upto = n + WALK
        for seq in held_seqs_above(conn, till_id, n, upto):
            if seq != n + 1:
                return n
            n = seq
        if n < upto:
            return n


def cached_contiguous(conn: Connection, till_id: int) -> int | None:
    """The contiguous seq cached in the tills table (None: no such till)."""
    cached = conn.execute(select(tills.c.contiguous_seq).where(tills.c.id == till_id)).scalar()
    return None if cached is None else int(cached)


def advance_contiguous(conn: Connection, till_id: int) -> int:
    """The till's contiguous seq, walked forward from the cached value and cached again."""
    cached = cached_contiguous(conn, till_id)
    start = cached or 0
    n = contiguous_from(conn, till_id, start)
    if cached is not None and n != start:
        conn.execute(tills.update().where(tills.c.id == till_id).values(contiguous_seq=n))
    return n


def missing_ranges(held: list[int], start: int, upto: int) -> list[tuple[int, int]]:
    """Ranges of seqs in (start, upto] absent from the sorted list `held`."""
    ranges: list[tuple[int, int]] = []
    expect = start + 1
    for seq in held:
        if seq > upto:
            break
        if seq > expect:
            ranges.append((expect, seq - 1))
        expect = max(expect, seq + 1)
    if expect <= upto:
        ranges.append((expect, upto))
    return ranges


def pending_text(till_id: int, ranges: list[tuple[int, int]]) -> str:
    """`till 2: sales 118-140 pending`, `till 2: sale 118 pending`."""
    count = sum(b - a + 1 for a, b in ranges)
    parts = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)
    return f"till {till_id}: {'sale' if count == 1 else 'sales'} {parts} pending"


def pending(store: Store) -> list[dict[str, object]]:
    """Every till with sales still pending, as the admin endpoint shows them."""
    out: list[dict[str, object]] = []
    with store.read() as conn:
        rows = conn.execute(
            select(tills.c.id, tills.c.name, tills.c.last_seq_reported, tills.c.contiguous_seq)
        ).all()
        for row in rows:
            start = int(row.contiguous_seq or 0)
            held = held_seqs_above(conn, row.id, start)
            upto = max(held[-1] if held else 0, int(row.last_seq_reported or 0))
            ranges = missing_ranges(held, start, upto)
            if ranges:
                out.append(
                    {
                        "till_id": row.id,
                        "name": row.name,
                        "ranges": [list(r) for r in ranges],
                        "text": pending_text(row.id, ranges),
                    }
                )
    return out
