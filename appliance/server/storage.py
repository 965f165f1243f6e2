"""The store's database: SQLAlchemy Core tables, and how to open them.

SQLite in WAL mode with `synchronous=FULL`, so a committed sale survives a
power cut. Only Core and portable types are used: a PostgreSQL URL would
work later; the SQLite pragmas are applied only when the URL is SQLite.

Writers take `Store.write()`: one lock in the process and `BEGIN IMMEDIATE`
in SQLite, so two writers never race between a check and an insert.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    select,
)

__all__ = ["MAX_INT", "Store", "metadata", "now_iso", "open_store", "sqlite_url"]

#: The largest integer SQLite stores: an id, seq or version above it is refused at the door
#: (422), not taken to the database (OverflowError).
MAX_INT = 2**63 - 1

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

categories = Table(
    "categories",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("colour", String(16), nullable=False, default="#cccccc"),
    Column("position", Integer, nullable=False, default=0),
)

vat_rates = Table(
    "vat_rates",
    metadata,
    Column("vat_bp", Integer, primary_key=True),
    Column("label", String(32), nullable=False),
)

articles = Table(
    "articles",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("price", Integer, nullable=False),
    Column("vat_bp", Integer, nullable=False),
    Column("category", String(64), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
)

barcodes = Table(
    "barcodes",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("article_id", String(64), ForeignKey("articles.id"), nullable=False),
    Index("ix_barcodes_article", "article_id"),
)

screens = Table(
    "screens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("colour", String(16), nullable=False, default="#cccccc"),
)

screen_buttons = Table(
    "screen_buttons",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("screen_id", Integer, ForeignKey("screens.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("label", String(120), nullable=False),
    Column("colour", String(16), nullable=False, default="#cccccc"),
    Column("article_id", String(64), nullable=True),
    Index("ix_buttons_screen", "screen_id", "position"),
)

cashiers = Table(
    "cashiers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("role", String(16), nullable=False, default="cashier"),  # cashier | manager
    Column("pin_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),  # a disabled one is not sent
)

printers = Table(
    "printers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("kind", String(16), nullable=False),  # kitchen | bar
    Column("address", String(120), nullable=False),  # host:port
    Column("categories", Text, nullable=False, default="[]"),  # JSON list of category ids
    Column("backup", String(64), nullable=True),  # id of the printer used when this one is down
    Column("direct", Boolean, nullable=False, default=False),  # tills print to it directly
)

tills = Table(
    "tills",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("enrolled_at", String(40), nullable=False),
    Column("last_seq_reported", Integer, nullable=False, default=0),
    Column("last_seen", String(40), nullable=True),
    Column("contiguous_seq", Integer, nullable=False, default=0),  # cache, see gaps.py
    # till clock minus server clock (s) when a minute or more off, else NULL (clocks.py)
    Column("clock_offset_s", Integer, nullable=True),
)

enrolment_codes = Table(
    "enrolment_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("name", String(64), nullable=False, default=""),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("used", Boolean, nullable=False, default=False),
    Column("till_id", Integer, nullable=True),
)

sales = Table(
    "sales",
    metadata,
    Column("sale_id", String(64), primary_key=True),
    Column("till_id", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("closed_at", String(40), nullable=False),
    Column("day", String(10), nullable=False),  # closed_at's date, server local time
    Column("total", Integer, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("body", Text, nullable=False),  # the record, canonical JSON
    Column("received_at", String(40), nullable=False),
    UniqueConstraint("till_id", "seq", name="uq_sales_till_seq"),
    Index("ix_sales_day", "day"),
)

sale_conflicts = Table(
    "sale_conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sale_id", String(64), nullable=False),
    Column("till_id", Integer, nullable=False),
    Column("seq", Integer, nullable=True),
    Column("hash", String(64), nullable=True),
    Column("reason", String(32), nullable=False),  # same_id_other_content | seq_taken
    Column("existing_sale_id", String(64), nullable=True),
    Column("body", Text, nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("received_at", String(40), nullable=False),
    Index("ix_conflicts_till_seq", "till_id", "seq"),
    UniqueConstraint("sale_id", "body_sha256", name="uq_conflicts_body"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("till_id", Integer, nullable=True),
    Column("sale_id", String(64), nullable=True),
    Column("seq", Integer, nullable=True),
    Column("reason", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("raw_sha256", String(64), nullable=False),
    Column("received_at", String(40), nullable=False),
    Index("ix_quarantine_till_seq", "till_id", "seq"),
    UniqueConstraint("till_id", "raw_sha256", name="uq_quarantine_raw"),
)

#: which sale each refund record gives back (the refund is in `sales`, in its till's chain)
refund_links = Table(
    "refund_links",
    metadata,
    Column("refund_id", String(64), primary_key=True),
    Column("sale_id", String(64), nullable=False),
    Index("ix_refund_links_sale", "sale_id"),
)

integrity_events = Table(
    "integrity_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("till_id", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("prev_seq", Integer, nullable=True),  # the other end of a broken link
    Column("kind", String(32), nullable=False),  # bad_hash | broken_link | bad_genesis
    Column("sale_id", String(64), nullable=True),
    Column("message", Text, nullable=False),
    Column("at", String(40), nullable=False),
    Index("ix_integrity_till_seq", "till_id", "seq"),
)

till_events = Table(
    "till_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("till_id", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", String(40), nullable=False),
    Index("ix_till_events_till", "till_id", "at"),
)

print_jobs = Table(
    "print_jobs",
    metadata,
    Column("job_id", String(64), primary_key=True),
    Column("till_id", Integer, nullable=False),
    Column("printers", Text, nullable=False),  # JSON list of printer ids
    Column("status", String(16), nullable=False),  # queued | printed | uncertain | failed
    Column("body", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

#: One ticket to one station: a job has one per printer its lines route to (copy 0),
#: and one more per reprint (copy 1, 2...). See spooler.py for the states.
print_deliveries = Table(
    "print_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(64), nullable=False),
    Column("printer_id", String(64), nullable=False),  # the route
    Column("copy", Integer, nullable=False, default=0),
    Column("lines", Text, nullable=False),  # JSON: the job's lines routed here
    Column("sent_to", String(64), nullable=True),  # the printer used (the backup, maybe)
    Column("state", String(16), nullable=False),  # queued|sending|printed|uncertain|failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(64), nullable=True),
    Column("primary_error", String(64), nullable=True),  # why it left the route's printer
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    UniqueConstraint("job_id", "printer_id", "copy", name="uq_delivery_copy"),
    Index("ix_deliveries_state", "state"),
)

#: What the spooler last knew of each printer (kept so the CLI sees it too).
printer_health = Table(
    "printer_health",
    metadata,
    Column("printer_id", String(64), primary_key=True),
    Column("state", String(16), nullable=False),  # ok | down
    Column("since", String(40), nullable=False),  # when it went down (or came back)
    Column("last_error", String(64), nullable=True),
    Column("updated_at", String(40), nullable=False),
)

z_reports = Table(
    "z_reports",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("body", Text, nullable=False),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("built_at", String(40), nullable=False),
    Column("file", String(200), nullable=False),
    # Ed25519 signature of the file's bytes, base64; NULL for one built before signing.
    Column("signature", String(120), nullable=True),
    # the last delta folded in (deltas.py); NULL for one built before the delta feed
    Column("delta_seq", Integer, nullable=True),
)

#: Article changes since the last snapshot, in order (deltas.py): the canonical JSON of
#: each is what the server signs, and what a till applies on top of its snapshot.
deltas = Table(
    "deltas",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("created_at", String(40), nullable=False),
    Column("body", Text, nullable=False),
)

#: Back-office passwords of managers (scrypt), beside their till PIN (backoffice/auth.py).
manager_passwords = Table(
    "manager_passwords",
    metadata,
    Column("cashier_id", String(64), primary_key=True),
    Column("hash", String(200), nullable=False),
    Column("set_at", String(40), nullable=False),
)

#: Columns added to a table after its first release: (table, column, SQL type).
#: `create_all` never alters an existing table, so `create_schema` adds them.
ADDED_COLUMNS = (
    ("snapshots", "signature", "VARCHAR(120)"),
    ("tills", "clock_offset_s", "INTEGER"),
    ("cashiers", "active", "BOOLEAN NOT NULL DEFAULT 1"),
    ("snapshots", "delta_seq", "INTEGER"),
)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{Path(path).resolve()}"


def _sqlite_setup(engine: Engine, store: Store) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below drive transactions (the pysqlite recipe).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA foreign_keys=ON")
        if store.wal_autocheckpoint is not None:
            cur.execute(f"PRAGMA wal_autocheckpoint={int(store.wal_autocheckpoint)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("autonome_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Store:
    """The database of one store server."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kw: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kw["connect_args"] = {"check_same_thread": False, "timeout": 15}
            kw["pool_size"] = 8
            kw["max_overflow"] = 24
        self.engine = create_engine(url, **kw)
        self.wal_autocheckpoint: int | None = None  # None: SQLite's own (1000 pages)
        if self.is_sqlite:
            _sqlite_setup(self.engine, self)
        self._lock = threading.RLock()
        #: till id -> how far its clock is off the server's (s), for the business day
        #: of its sales; only tills a minute or more off (see clocks.py)
        self.clock_offsets: dict[int, int] = {}

    def checkpoint_apart(self) -> None:
        """Commits stop copying the WAL into the database file (SQLite's auto-checkpoint:
        a few ms, with an fsync of the database, under whichever commit crosses 1000
        pages). Whoever calls this runs `checkpoint()` from time to time instead, off
        the commit path (the server does it every second)."""
        if self.is_sqlite:
            self.wal_autocheckpoint = 0
            self.engine.dispose()  # connections opened before get the setting when reopened

    def checkpoint(self) -> None:
        """Copy what is committed in the WAL into the database file, waiting for nobody
        (PASSIVE: writers go on meanwhile). Durability does not depend on it."""
        if not self.is_sqlite:
            return
        raw = self.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            raw.close()

    def create_schema(self) -> None:
        """Create what is missing: tables, then the columns added since (upgrade path)."""
        metadata.create_all(self.engine)
        # A write transaction (BEGIN IMMEDIATE on SQLite): two processes opening the
        # same old database at once do not both add the column.
        with self.write() as conn:
            insp = inspect(conn)
            for table, column, sql_type in ADDED_COLUMNS:
                if column not in {c["name"] for c in insp.get_columns(table)}:
                    conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction, committed (durably) when the block ends."""
        with (
            self._lock,
            self.engine.connect().execution_options(autonome_write=True) as conn,
            conn.begin(),
        ):
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A consistent read (one transaction, rolled back at the end)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    # -- meta key/values -----------------------------------------------------------
    def get_meta(self, conn: Connection, key: str, default: str | None = None) -> str | None:
        value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
        return default if value is None else value

    def set_meta(self, conn: Connection, key: str, value: str) -> None:
        updated = conn.execute(meta.update().where(meta.c.key == key).values(value=value))
        if updated.rowcount == 0:
            conn.execute(meta.insert().values(key=key, value=value))


def open_store(db_path: Path | str, *, create: bool = True) -> Store:
    """A Store on a SQLite file (or any SQLAlchemy URL), schema created if asked."""
    text = str(db_path)
    url = text if "://" in text else sqlite_url(Path(text))
    store = Store(url)
    if create:
        store.create_schema()
    return store
