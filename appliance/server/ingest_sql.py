"""The statements of a sale's ingestion, built once: the hot path of every sale only
binds values, straight on the driver where it can (`ingest.py` uses them)."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, or_, select

from .storage import MAX_INT, sales

_SALES_BY_SEQ = select(
    sales.c.till_id, sales.c.seq, sales.c.sale_id, sales.c.hash, sales.c.prev_hash
).where(
    sales.c.till_id.in_(bindparam("tills", expanding=True)),
    sales.c.seq.in_(bindparam("seqs", expanding=True)),
)

_CHUNK = 400


def _pow2(n: int) -> int:
    return 1 << (n - 1).bit_length()


@functools.cache
def _sales_by_ids(n: int) -> Select:
    """By sale id, `n` of them (a power of two: the last is repeated to fill)."""
    ids = [bindparam(f"i{k}") for k in range(n)]
    return select(sales.c.sale_id, sales.c.body, sales.c.till_id, sales.c.seq).where(
        sales.c.sale_id.in_(ids)
    )


@functools.cache
def _sales_in_ranges(n: int) -> Select:
    """By till and seq range, `n` ranges (a power of two: the last is repeated to fill)."""
    cond = or_(
        *(
            and_(
                sales.c.till_id == bindparam(f"t{k}"),
                sales.c.seq.between(bindparam(f"lo{k}"), bindparam(f"hi{k}")),
            )
            for k in range(n)
        )
    )
    return select(
        sales.c.till_id, sales.c.seq, sales.c.sale_id, sales.c.hash, sales.c.prev_hash
    ).where(cond)


_INSERT_SALE = sales.insert().values(
    {c: bindparam(c) for c in (
        "sale_id", "till_id", "seq", "closed_at", "day", "total", "mode", "hash", "prev_hash",
        "body", "received_at",
    )}
)  # fmt: skip

_compiled: dict[tuple[int, str], tuple[str, tuple[str, ...]]] = {}


def _qmark(conn: Connection, stmt: Any) -> tuple[str, tuple[str, ...]] | None:
    """The statement's SQL and parameter order for the DBAPI, when the driver takes
    `?` parameters (SQLite): compiled once, then only values are bound, without
    SQLAlchemy's per-execution work (100-200 µs a statement on the sale path)."""
    if conn.dialect.paramstyle != "qmark":
        return None
    key = (id(stmt), conn.dialect.name)
    found = _compiled.get(key)
    if found is None:
        c = stmt.compile(dialect=conn.dialect)
        found = _compiled[key] = (c.string, tuple(c.positiontup or ()))
    return found


def _rows(conn: Connection, stmt: Any, params: dict[str, Any]) -> list[Any]:
    """`conn.execute(stmt, params).all()`, straight on the driver where it can."""
    q = _qmark(conn, stmt)
    if q is None:
        return list(conn.execute(stmt, params))
    sql, names = q
    return conn.connection.driver_connection.execute(sql, [params[n] for n in names]).fetchall()


def _int(value: Any) -> int | None:
    """An integer the journal can hold (a seq, a till id), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and -MAX_INT <= value <= MAX_INT:
        return value
    return None


def _around(seq: int) -> tuple[int, int]:
    """The seqs before and after `seq` whose links matter, within what the journal holds."""
    return max(seq - 1, -MAX_INT), min(seq + 1, MAX_INT)
