"""The delta feed: every change of the catalogue since the last snapshot, numbered.

A change (an article saved in the back office, a CSV import, an article
created through the API or by `autonome server import-csv`) writes its delta
in the same transaction as the change itself, so a delta exists exactly when
its change does, and the nightly snapshot, read in one transaction, knows
the last delta it folds in (`delta_seq` in its meta). The canonical bytes of
a delta are signed with the server's snapshot key (Ed25519) when served.

Tills ask `GET /api/v1/deltas?after=N&wait=S` (long-poll, api_deltas.py). A
till further behind than the deltas kept (they are pruned once every kept
snapshot folds them) is told to take a new snapshot.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, delete, func, select

from appliance.protocol.deltas import delta_body
from appliance.protocol.signing import sign

from .storage import Store, articles, barcodes, cashiers, deltas, now_iso, screen_buttons

__all__ = [
    "DeltaSigner",
    "article_row",
    "feed_bounds",
    "latest_seq",
    "prune_folded",
    "record",
]


def latest_seq(conn: Connection) -> int:
    return int(conn.execute(select(func.max(deltas.c.seq))).scalar() or 0)


def record(conn: Connection, ops: list[dict[str, Any]]) -> int:
    """Write one delta of `ops` inside the caller's write transaction; its seq."""
    if not ops:
        return latest_seq(conn)
    seq = latest_seq(conn) + 1
    at = now_iso()
    body = delta_body(seq, at, ops).decode()
    conn.execute(deltas.insert().values(seq=seq, created_at=at, body=body))
    return seq


def article_row(conn: Connection, article_id: str) -> dict[str, Any] | None:
    """An article as the snapshot and the `article` operation carry it (None: archived)."""
    row = conn.execute(
        select(articles).where(articles.c.id == article_id, articles.c.active.is_(True))
    ).first()
    if row is None:
        return None
    return article_dict(conn, row)


def article_dict(conn: Connection, row: Any) -> dict[str, Any]:
    """An article row with its barcodes, as tills and deltas carry it."""
    codes = conn.execute(
        select(barcodes.c.code).where(barcodes.c.article_id == row.id).order_by(barcodes.c.code)
    ).scalars()
    return {
        "article_id": row.id,
        "name": row.name,
        "price": row.price,
        "vat_bp": row.vat_bp,
        "category": row.category,
        "barcodes": list(codes),
    }


def article_ops(conn: Connection, article_ids: list[str]) -> list[dict[str, Any]]:
    """`article` (or `archive`) operations for these articles as they are now."""
    ops: list[dict[str, Any]] = []
    for aid in article_ids:
        row = article_row(conn, aid)
        ops.append(
            {"op": "article", "article": row} if row else {"op": "archive", "article_id": aid}
        )
    return ops


def button_op(conn: Connection, article_id: str) -> dict[str, Any]:
    b = conn.execute(
        select(screen_buttons).where(screen_buttons.c.article_id == article_id).limit(1)
    ).first()
    if b is None:
        return {"op": "button", "article_id": article_id, "screen_id": None, "position": 0,
                "label": "", "colour": "#cccccc"}  # fmt: skip
    return {"op": "button", "article_id": article_id, "screen_id": b.screen_id,
            "position": b.position, "label": b.label, "colour": b.colour}  # fmt: skip


def cashier_op(conn: Connection, cashier_id: str) -> dict[str, Any]:
    c = conn.execute(select(cashiers).where(cashiers.c.id == cashier_id)).first()
    if c is None or not c.active:
        return {"op": "cashier_off", "cashier_id": cashier_id}
    return {"op": "cashier", "cashier": {"cashier_id": c.id, "name": c.name, "role": c.role,
                                         "pin_hash": c.pin_hash}}  # fmt: skip


def feed_bounds(conn: Connection) -> tuple[int, int]:
    """(floor, latest): a till at delta `n` with floor <= n <= latest can catch up."""
    low, high = conn.execute(select(func.min(deltas.c.seq), func.max(deltas.c.seq))).one()
    if high is None:
        from .storage import snapshots

        folded = conn.execute(select(func.max(snapshots.c.delta_seq))).scalar() or 0
        return int(folded), int(folded)
    return int(low) - 1, int(high)


def since(conn: Connection, after: int, limit: int = 200) -> list[tuple[int, str]]:
    q = select(deltas.c.seq, deltas.c.body).where(deltas.c.seq > after)
    return [(int(s), b) for s, b in conn.execute(q.order_by(deltas.c.seq).limit(limit)).all()]


def prune_folded(conn: Connection, upto: int) -> int:
    """Drop the deltas every kept snapshot folds in (seq <= upto); how many.

    The last one stays, so the numbering goes on from it after a restart."""
    latest = latest_seq(conn)
    upto = min(upto, latest - 1)
    if upto <= 0:
        return 0
    return int(conn.execute(delete(deltas).where(deltas.c.seq <= upto)).rowcount or 0)


class DeltaSigner:
    """Signs each delta's bytes once (Ed25519, the snapshots' key) and keeps it."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key
        self._done: dict[int, str] = {}

    def wire(self, seq: int, body: str) -> dict[str, Any]:
        sig = self._done.get(seq)
        if sig is None:
            sig = sign(self.key, body.encode("utf-8"))
            if len(self._done) > 10000:
                self._done.clear()
            self._done[seq] = sig
        return {"seq": seq, "body": body, "signature": sig}


def pending_feed(store: Store, after: int, limit: int = 200) -> dict[str, Any]:
    """What a till at delta `after` gets now: state `ok` (deltas, maybe none) or
    `take_snapshot` (too far behind, or ahead of a server restored from a backup)."""
    with store.read() as conn:
        floor, latest = feed_bounds(conn)
        if after < floor or after > latest:
            return {"state": "take_snapshot", "floor": floor, "latest": latest}
        rows = since(conn, after, limit) if after < latest else []
    return {"state": "ok", "latest": latest, "rows": rows}
