"""A till in a shop with devices, in this process: an enrolled till folder, a signed
snapshot with the store's identity, cashiers with their roles and kitchen printers,
the till started without threads and switched to autonomous mode.

Used by the device tests and by bench/devices.py.
"""

from __future__ import annotations

import hashlib
import queue
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from appliance.domain import hash_pin
from appliance.till import Mode, SnapshotStore, Till, TillConfig
from appliance.till.discovery import Sighting
from appliance.till.ports import NoServerFound
from appliance.till.selftest import SAMPLE_STORE

from .fakeserver import FakeServer
from .snapshots import PUBLIC, signed
from .tls import make_certificate

__all__ = [
    "ARTICLES",
    "CASHIERS",
    "Clock",
    "Events",
    "PRINTERS",
    "STORE",
    "shop_server",
    "autonomous_till",
    "install_snapshot",
    "online_till",
    "shop_snapshot",
]

#: the store of the receipts: the self-test's sample, with a telephone number
STORE = {**SAMPLE_STORE, "phone": "01 42 00 00 00"}

# id, name, price, VAT, category, barcodes
ARTICLES = [
    ("A001", "Baguette tradition", 120, 550, "pain", ["3760000000011"]),
    ("A002", "Croque-monsieur", 650, 1000, "plats", ["3760000000028"]),
    ("A003", "Café crème", 280, 1000, "boissons", ["3760000000035"]),
    ("A004", "Éclair au café", 260, 550, "patisserie", ["3760000000042"]),
]

# id -> (name, role, PIN)
CASHIERS = {
    "c1": ("Camille Martin", "cashier", "1234"),
    "m1": ("Sophie Dubois", "manager", "9876"),
}

# the kitchen prints straight from the tills; the bar goes through the server
PRINTERS = [
    {"printer_id": "cuisine", "name": "Cuisine", "kind": "kitchen", "address": "127.0.0.1:9",
     "categories": ["plats"], "backup": None, "direct": True},
    {"printer_id": "bar", "name": "Bar", "kind": "bar", "address": "127.0.0.1:9",
     "categories": ["boissons"], "backup": None, "direct": False},
]  # fmt: skip


def _table(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(i): r for i, r in enumerate(rows, 1)}


def shop_snapshot(
    version: int = 1,
    *,
    extra_articles: int = 0,
    store: dict[str, Any] | None = None,
    printers: list[dict[str, Any]] | None = None,
) -> bytes:
    """The snapshot a server builds for this shop; `extra_articles` more (barcodes
    20000000000001...) for a store of realistic size."""
    articles = [
        {"article_id": a, "name": n, "price": p, "vat_bp": v, "category": c, "barcodes": b}
        for a, n, p, v, c, b in ARTICLES
    ]
    for i in range(extra_articles):
        code = f"2{i + 1:012d}"
        articles.append({"article_id": f"X{i}", "name": f"Article {i}", "price": 100 + i % 900,
                         "vat_bp": 2000, "category": "divers", "barcodes": [code]})  # fmt: skip
    barcodes = [{"code": c, "article_id": a["article_id"]} for a in articles for c in a["barcodes"]]
    cashiers = [
        {"cashier_id": cid, "name": name, "role": role, "pin_hash": hash_pin(pin, "s", 1000)}
        for cid, (name, role, pin) in CASHIERS.items()
    ]
    meta = {
        "version": version,
        "built_at": "2026-11-27T23:30:00+00:00",
        "server_id": "srv-1",
        "store": dict(STORE if store is None else store),
        "categories": [],
    }
    doc = {
        "meta": _table([meta]),
        "articles": _table(articles),
        "barcodes": _table(barcodes),
        "screens": {},
        "cashiers": _table(cashiers),
        "vat": _table([{"vat_bp": bp} for bp in (2000, 1000, 550, 210)]),
        "printers": _table([dict(p) for p in (PRINTERS if printers is None else printers)]),
    }
    return orjson.dumps(doc)


def install_snapshot(folder: Path, data: bytes, version: int = 1) -> None:
    SnapshotStore(Path(folder) / "snapshot").install(
        data, hashlib.sha256(data).hexdigest(), version, **signed(data)
    )


class Clock:
    """A `domain.Clock` set by the test (the one settable clock of the tests)."""

    def __init__(self, t: datetime | None = None) -> None:
        self.t = t or datetime(2026, 11, 28, 10, 0, 7, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.t


def shop_server() -> FakeServer:
    """The store server of this shop, in memory (`FakeServer`): its articles, and the
    kitchen jobs it is sent."""
    return FakeServer(
        [
            {"article_id": a, "name": n, "price": p, "vat_bp": v, "category": c, "barcodes": b}
            for a, n, p, v, c, b in ARTICLES
        ]
    )


def online_till(folder: Path, server: FakeServer, *, cashier: str | None = "c1") -> Till:
    """Like `autonomous_till`, but found its server (`server` answers for it): online."""
    _enrol(folder, None, 2)
    seen = Sighting("srv-1", "https://127.0.0.1:9", 1, via="probe")
    till = Till(
        folder, now=Clock(), mdns=False, client_factory=server, probe_fn=lambda *a, **k: seen
    )
    till.start(background=False)
    till.link.discover()  # the probe finds it
    assert till.mode is Mode.ONLINE
    if cashier is not None:
        assert till.login(cashier, CASHIERS[cashier][2])
    return till


def _enrol(folder: Path, snapshot: bytes | None, till_id: int) -> None:
    folder = Path(folder)
    if not (folder / "till.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        cert = make_certificate()
        TillConfig(
            till_id, "test-token", "srv-1", "https://127.0.0.1:9", signing_key=PUBLIC,
            server_cert=cert.cert_pem, server_fingerprint=cert.fingerprint,
        ).save(folder)  # fmt: skip
        install_snapshot(folder, snapshot if snapshot is not None else shop_snapshot())


def autonomous_till(
    folder: Path,
    *,
    now: Callable[[], datetime] | None = None,
    snapshot: bytes | None = None,
    cashier: str | None = "c1",
    till_id: int = 2,
) -> Till:
    """An enrolled till on `folder` with the shop's snapshot, started (no threads), in
    autonomous mode (its server was not found) and `cashier` logged in."""
    _enrol(folder, snapshot, till_id)
    till = Till(folder, now=now or Clock(), mdns=False)
    till.start(background=False)
    till.signal(NoServerFound())  # what the link says after the discovery timeout
    till.answer("go_autonomous", "yes")
    assert till.mode is Mode.AUTONOMOUS
    if cashier is not None:
        assert till.login(cashier, CASHIERS[cashier][2])
    return till


class Events:
    """The till's events, kept in order, waited for by name and fields."""

    def __init__(self, till: Till) -> None:
        self.seen: list[dict[str, Any]] = []
        self._q: queue.Queue[dict[str, Any]] = queue.Queue()
        till.subscribe(self._put)

    def _put(self, event: dict[str, Any]) -> None:
        self.seen.append(event)
        self._q.put(event)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in list(self.seen) if e["event"] == name]

    def wait(self, name: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                names = [e["event"] for e in self.seen[-12:]]
                raise AssertionError(f"no {name} {fields or ''} within {timeout} s; last: {names}")
            try:
                e = self._q.get(timeout=left)
            except queue.Empty:
                continue
            if e["event"] == name and all(e.get(k) == v for k, v in fields.items()):
                return e
