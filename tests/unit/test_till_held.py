"""Held orders on the till core (real files, the in-memory server): a sale parked, the
next customer served, the parked one taken back and paid; held orders survive a
restart; what cannot be held or taken back is refused by name, nothing lost."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from appliance.till import Till, TillConfig
from appliance.till.discovery import Sighting
from appliance.till.held import FILE
from appliance.till.snapshot import SnapshotStore
from testbed.devices import Clock
from testbed.fakeserver import FakeServer
from testbed.snapshots import PUBLIC, make_snapshot, signed
from testbed.tls import make_certificate

SEEN = Sighting("srv-1", "https://127.0.0.1:1", 1, via="probe")
ARTICLES = [
    {"article_id": "A001", "name": "Baguette", "price": 110, "vat_bp": 550,
     "category": "bread", "barcodes": ["111"]},
    {"article_id": "A002", "name": "Tarte", "price": 300, "vat_bp": 550,
     "category": "pastry", "barcodes": ["222"]},
]  # fmt: skip


@pytest.fixture
def rig(tmp_path):
    cert = make_certificate()
    TillConfig(
        2, "s3cret-token", "srv-1", "https://127.0.0.1:1", signing_key=PUBLIC,
        server_cert=cert.cert_pem, server_fingerprint=cert.fingerprint,
    ).save(tmp_path)  # fmt: skip
    data = make_snapshot(1)
    SnapshotStore(tmp_path / "snapshot").install(
        data, hashlib.sha256(data).hexdigest(), 1, **signed(data)
    )
    fake = FakeServer(ARTICLES)
    clock = Clock(datetime(2026, 12, 3, 10, tzinfo=UTC))
    made: list[Till] = []

    def new_till() -> tuple[Till, list[dict]]:
        events: list[dict] = []
        till = Till(tmp_path, client_factory=fake, probe_fn=lambda *a, **k: SEEN, now=clock,
                    mdns=False)  # fmt: skip
        till.subscribe(events.append)
        till.start(background=False)
        till.link.discover()
        assert till.login("c1", "1234")
        made.append(till)
        return till, events

    yield tmp_path, new_till
    for t in made:
        t.stop()


def _last(events, name):
    return [e for e in events if e["event"] == name][-1]


def test_park_serve_the_next_take_it_back_and_pay(rig):
    folder, new_till = rig
    till, events = new_till()
    till.scan("111", 3)
    till.scan("222")
    till.discount(cents=30)
    held = till.hold("park", note="la dame au chapeau")
    assert held is not None and held["total"] == 3 * 110 + 300 - 30
    assert till.sale_summary()["lines"] == [] and _last(events, "sale_held")["count"] == 1
    assert (folder / FILE).exists()
    # the next customer, paid at once
    till.scan("222")
    assert till.pay("cash", 300)["total"] == 300
    # the held one back, as it was
    till.hold("list")
    orders = _last(events, "held_orders")["orders"]
    assert [(o["count"], o["total"], o["note"]) for o in orders] == [(4, 600, "la dame au chapeau")]
    till.hold("resume", held_id=held["held_id"])
    summary = till.sale_summary()
    assert [ln["quantity"] for ln in summary["lines"]] == [3, 1] and summary["total"] == 600
    record = till.pay("card", 600)
    assert record["total"] == 600 and record["sale_discount"] == 30
    till.hold("list")
    assert _last(events, "held_orders")["orders"] == []


def test_held_orders_survive_a_restart(rig):
    _folder, new_till = rig
    till, _events = new_till()
    till.scan("111")
    first = till.hold("park")
    till.scan("222", 2)
    second = till.hold("park")
    till.stop()
    again, events = new_till()
    again.hold("list")
    ids = [o["held_id"] for o in _last(events, "held_orders")["orders"]]
    assert ids == [first["held_id"], second["held_id"]]
    again.hold("resume", held_id=second["held_id"])
    assert again.sale_summary()["total"] == 600


def test_what_cannot_be_held_or_taken_back_is_refused_by_name(rig):
    _folder, new_till = rig
    till, events = new_till()
    assert till.hold("park") is None
    assert _last(events, "error")["code"] == "nothing_to_hold"
    till.scan("111")
    held = till.hold("park")
    till.scan("222")
    assert till.hold("resume", held_id=held["held_id"]) is None
    assert _last(events, "error")["code"] == "sale_open"  # the sale on screen stays
    assert till.sale_summary()["total"] == 300
    assert till.hold("resume", held_id="nope") is None
    assert _last(events, "error")["code"] == "unknown_held"
    till.pay("cash", 200)  # part of it: a payment taken
    assert till.hold("park") is None
    assert _last(events, "error")["code"] == "payment_started"
    assert till.hold("discard", held_id=held["held_id"]) is True
    till.hold("list")
    assert _last(events, "held_orders")["orders"] == []


def test_a_damaged_file_is_kept_aside_and_the_till_starts(rig):
    folder, new_till = rig
    (folder / FILE).write_bytes(b'{"held": [{"held_id": "x", "lines": [{"bad": 1}]}]}')
    till, events = new_till()
    till.hold("list")
    assert _last(events, "held_orders")["orders"] == []
    assert (folder / "held.json.damaged").exists()


def test_a_held_sale_eaten_in_comes_back_eaten_in_with_its_approvals(rig):
    _folder, new_till = rig
    till, _events = new_till()
    till.scan("111")
    sale = till.register.sale
    sale.set_eat_in(True, {550: 1000})  # the store's eat-in rate (its snapshot has none)
    sale.approvals.append({"action": "discount", "manager_id": "m1", "cashier_id": "c1"})
    held = till.hold("park")
    till.stop()
    again, _ = new_till()  # a restart in between
    again.hold("resume", held_id=held["held_id"])
    back = again.register.sale
    assert back.eat_in and [ln.vat_bp for ln in back.lines] == [1000]
    again.scan("222")  # rung up after: eaten in too
    assert [ln.vat_bp for ln in back.lines] == [1000, 1000]
    record = again.pay("card", 410)
    assert record["eat_in"] is True and record["approvals"][0]["manager_id"] == "m1"
