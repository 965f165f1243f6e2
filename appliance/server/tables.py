"""The restaurant's open tables as the store server holds them, and its floor plan.

Each open table has one holder: the till that opened it or took it over last. Only
its holder writes it (`put`); another till takes it over (`take`), unless the
holder is paying it (`paying`: the bill is on its screen). A table paid to its
last line is closed once: its opening goes to `table_closures`, and a second close,
or any write to that opening, is refused (`table_closed`).

A till that lost the server keeps selling the tables it holds. When it is back it
writes them again: if another till took one over meanwhile, the lines it added
alone are appended to the table there (`add_lines`, each line once by its id), or,
if that table was closed meanwhile, they are refused and the till keeps them as a
bill of its own. The payments are ordinary sales (the outbox, the chain): this
module holds the bills, never the money.

The floor plan and the modifiers are kept in the store's meta (`floor_plan`),
checked by the domain, and sent in each snapshot's meta.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, select

from appliance.domain.floorplan import FloorPlan, TableError, modifiers_from_rows
from appliance.domain.tables import Tab

from .storage import Store, now_iso

__all__ = [
    "FLOOR_PLAN_KEY",
    "TableHolds",
    "TableRefused",
    "floor_plan_meta",
    "set_floor_plan",
]

FLOOR_PLAN_KEY = "floor_plan"

#: the open tables live in tables of their own, made at first use (older stores too)
table_metadata = MetaData()

open_tables = Table(
    "open_tables",
    table_metadata,
    Column("table_id", String(32), primary_key=True),
    Column("opening", String(64), nullable=False, unique=True),
    Column("holder", Integer, nullable=False),  # the till id
    Column("version", Integer, nullable=False),
    Column("paying", Integer, nullable=True),  # the till paying it, if any
    Column("tab", Text, nullable=False),
    Column("updated_at", String(40), nullable=False),
)

table_closures = Table(
    "table_closures",
    table_metadata,
    Column("opening", String(64), primary_key=True),
    Column("table_id", String(32), nullable=False),
    Column("till_id", Integer, nullable=False),
    Column("closed_at", String(40), nullable=False),
    Column("sales", Text, nullable=False),  # JSON list of the sale ids that paid it
)


class TableRefused(Exception):
    """A write the server refuses: `status`, a `code` the till translates, `extra`
    fields (the holder, the table as the server has it)."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def _till(n: int) -> str:
    return f"till {n}"


def _summary(row: Any) -> dict[str, Any]:
    tab = orjson.loads(row.tab)
    return {
        "table_id": row.table_id,
        "opening": row.opening,
        "holder": row.holder,
        "version": row.version,
        "paying": row.paying,
        "covers": tab.get("covers"),
        "total": Tab.from_dict(tab).total,
        "updated_at": row.updated_at,
    }


class TableHolds:
    """The open tables of the store, on its database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        table_metadata.create_all(store.engine)

    # -- reading -----------------------------------------------------------------------
    def list(self) -> list[dict[str, Any]]:
        with self.store.read() as conn:
            rows = conn.execute(select(open_tables).order_by(open_tables.c.table_id)).all()
        return [_summary(r) for r in rows]

    def get(self, table_id: str) -> dict[str, Any]:
        with self.store.read() as conn:
            row = self._row(conn, table_id)
        if row is None:
            raise TableRefused(404, "table_not_open", f"table {table_id} is not open")
        return self._answer(row)

    @staticmethod
    def _row(conn: Connection, table_id: str) -> Any:
        return conn.execute(select(open_tables).where(open_tables.c.table_id == table_id)).first()

    @staticmethod
    def _answer(row: Any) -> dict[str, Any]:
        return {**_summary(row), "tab": orjson.loads(row.tab)}

    @staticmethod
    def _closure(conn: Connection, opening: str) -> Any:
        return conn.execute(
            select(table_closures).where(table_closures.c.opening == opening)
        ).first()

    def _refuse_closed(self, conn: Connection, tab: Tab) -> None:
        done = self._closure(conn, tab.opening)
        if done is not None:
            raise TableRefused(
                409,
                "table_closed",
                f"table {done.table_id} was already closed at {done.closed_at[11:16]} "
                f"on {_till(done.till_id)}",
                closed_at=done.closed_at,
                closed_by=done.till_id,
            )

    # -- writing -----------------------------------------------------------------------
    def put(self, till_id: int, doc: Any) -> dict[str, Any]:
        """The table as its holder has it now (opened, a round, a move, a payment,
        closed). Answers the table as kept, with its new version."""
        tab = _tab(doc)
        now = now_iso()
        with self.store.write() as conn:
            self._refuse_closed(conn, tab)
            row = conn.execute(
                select(open_tables).where(open_tables.c.opening == tab.opening)
            ).first()
            here = self._row(conn, tab.table_id)
            if here is not None and here.opening != tab.opening:
                raise TableRefused(
                    409,
                    "table_occupied",
                    f"table {tab.table_id} is already open on {_till(here.holder)}: "
                    "move this bill to another table",
                    holder=here.holder,
                )
            if row is not None and row.holder != till_id:
                raise TableRefused(
                    409,
                    "table_taken_over",
                    f"table {row.table_id} was taken over by {_till(row.holder)}",
                    holder=row.holder,
                    table=self._answer(row),
                )
            if tab.closed:
                return _close(conn, tab, till_id, now)
            body = orjson.dumps(tab.as_dict()).decode()
            if row is None:
                conn.execute(
                    open_tables.insert().values(
                        table_id=tab.table_id, opening=tab.opening, holder=till_id,
                        version=1, paying=None, tab=body, updated_at=now,
                    )
                )  # fmt: skip
            else:  # its holder, maybe moved to another table
                conn.execute(
                    open_tables.update()
                    .where(open_tables.c.opening == tab.opening)
                    .values(
                        table_id=tab.table_id, version=row.version + 1, tab=body, updated_at=now
                    )
                )
            return self._answer(self._row(conn, tab.table_id))

    def take(self, till_id: int, table_id: str) -> dict[str, Any]:
        """Till `till_id` holds table `table_id` from now on."""
        with self.store.write() as conn:
            row = self._row(conn, table_id)
            if row is None:
                raise TableRefused(404, "table_not_open", f"table {table_id} is not open")
            if row.paying is not None and row.paying != till_id:
                raise TableRefused(
                    409,
                    "table_paying",
                    f"table {table_id} is being paid on {_till(row.paying)}: it cannot be "
                    "taken over now",
                    holder=row.holder,
                    paying=row.paying,
                )
            if row.holder != till_id:
                conn.execute(
                    open_tables.update()
                    .where(open_tables.c.table_id == table_id)
                    .values(holder=till_id, version=row.version + 1, updated_at=now_iso())
                )
            return self._answer(self._row(conn, table_id))

    def paying(
        self, till_id: int, table_id: str, on: bool, opening: str | None = None
    ) -> dict[str, Any]:
        """The holder shows the bill (`on`) or puts it away: while it is shown no other
        till takes the table over. `opening`: the bill the till has; if it was paid and
        closed elsewhere meanwhile, `table_closed`."""
        with self.store.write() as conn:
            row = self._row(conn, table_id)
            if opening is not None and (row is None or row.opening != opening):
                done = self._closure(conn, opening)
                if done is not None:
                    raise TableRefused(
                        409,
                        "table_closed",
                        f"table {done.table_id} was already paid and closed on "
                        f"{_till(done.till_id)}",
                        closed_by=done.till_id,
                    )
            if row is None:
                raise TableRefused(404, "table_not_open", f"table {table_id} is not open")
            if row.holder != till_id:
                raise TableRefused(
                    409,
                    "table_taken_over",
                    f"table {table_id} is held by {_till(row.holder)}",
                    holder=row.holder,
                )
            conn.execute(
                open_tables.update()
                .where(open_tables.c.table_id == table_id)
                .values(paying=till_id if on else None, updated_at=now_iso())
            )
            return self._answer(self._row(conn, table_id))

    def add_lines(self, till_id: int, doc: Any) -> dict[str, Any]:
        """Lines a till rang up alone on a table another till took over meanwhile:
        appended there, each once (by line id)."""
        tab = _tab(doc)
        with self.store.write() as conn:
            self._refuse_closed(conn, tab)
            row = conn.execute(
                select(open_tables).where(open_tables.c.opening == tab.opening)
            ).first()
            if row is None:
                raise TableRefused(404, "table_not_open", f"table {tab.table_id} is not open")
            held = Tab.from_dict(orjson.loads(row.tab))
            mine = {ln.line_id: ln for ln in held.lines}
            new = [ln for ln in tab.lines if ln.line_id not in mine]
            doubled = []
            for ln in tab.lines:  # paid on the till that was alone: paid here too
                there = mine.get(ln.line_id)
                if there is None or ln.paid_by is None or there.paid_by == ln.paid_by:
                    continue
                if there.paid_by is None:
                    there.paid_by = ln.paid_by
                else:
                    doubled.append({"line_id": ln.line_id, "sales": [there.paid_by, ln.paid_by]})
            held.paid.extend(s for s in tab.paid if s not in held.paid)
            held.lines.extend(new)
            held.rounds = max(held.rounds, tab.rounds)
            if held.lines and all(ln.paid_by is not None for ln in held.lines):
                held.closed = True
                closed = _close(conn, held, till_id, now_iso())
                return {**closed, "holder": row.holder, "added": len(new), "doubled": doubled}
            conn.execute(
                open_tables.update()
                .where(open_tables.c.opening == tab.opening)
                .values(
                    tab=orjson.dumps(held.as_dict()).decode(),
                    version=row.version + 1,
                    updated_at=now_iso(),
                )
            )
            answer = self._answer(self._row(conn, row.table_id))
        return {**answer, "added": len(new), "doubled": doubled}


def _close(conn: Connection, tab: Tab, till_id: int, now: str) -> dict[str, Any]:
    """The table paid to its last line: out of the open tables, its opening closed."""
    conn.execute(open_tables.delete().where(open_tables.c.opening == tab.opening))
    conn.execute(
        table_closures.insert().values(
            opening=tab.opening, table_id=tab.table_id, till_id=till_id,
            closed_at=now, sales=orjson.dumps(tab.paid).decode(),
        )
    )  # fmt: skip
    return {"table_id": tab.table_id, "opening": tab.opening, "closed": True}


def _tab(doc: Any) -> Tab:
    if not isinstance(doc, dict):
        raise TableRefused(422, "bad_table", "a table is a JSON object")
    try:
        return Tab.from_dict(doc)
    except TableError as e:
        raise TableRefused(422, e.code, e.message) from None


# -- the floor plan -------------------------------------------------------------------------
def set_floor_plan(store: Store, doc: Any) -> dict[str, Any]:
    """Check and keep the floor plan and the modifiers ({"rooms", "tables",
    "modifiers"}); the next snapshot carries them. Raises `TableError`."""
    if not isinstance(doc, dict):
        raise TableError("bad_floor_plan", "a floor plan is an object with rooms and tables")
    plan = FloorPlan.from_dict(doc)
    mods = modifiers_from_rows(doc.get("modifiers"))
    kept = {
        **plan.as_dict(),
        "modifiers": [{**m.as_line(), "categories": list(m.categories)} for m in mods.values()],
    }
    with store.write() as conn:
        store.set_meta(conn, FLOOR_PLAN_KEY, orjson.dumps(kept).decode())
    return kept


def floor_plan_meta(store: Store, conn: Connection) -> dict[str, Any]:
    """What a snapshot's meta carries of the restaurant: {} for a shop."""
    text = store.get_meta(conn, FLOOR_PLAN_KEY)
    return orjson.loads(text) if text else {}
