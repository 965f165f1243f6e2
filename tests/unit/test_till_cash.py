"""Cash control on the till core (real files, the in-memory server): the float, cash in
and out, the count against the expected cash, each a record of the outbox in the
chain; cash out and the count only for a manager; a bad count said, nothing recorded;
the till's X report shows it all and survives a restart."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import orjson
import pytest

from appliance.domain import verify_chain
from appliance.till import Till, TillConfig
from appliance.till.discovery import Sighting
from appliance.till.snapshot import SnapshotStore
from testbed.devices import Clock
from testbed.fakeserver import FakeServer
from testbed.snapshots import PUBLIC, make_snapshot, signed
from testbed.tls import make_certificate

SEEN = Sighting("srv-1", "https://127.0.0.1:1", 1, via="probe")
ARTICLES = [
    {"article_id": "A001", "name": "Baguette", "price": 110, "vat_bp": 550,
     "category": "bread", "barcodes": ["111"]},
]  # fmt: skip


def _snapshot() -> bytes:
    doc = orjson.loads(make_snapshot(1, cashiers={"c1": "1234", "m1": "9876"}))
    for row in doc["cashiers"].values():
        row["role"] = "manager" if row["cashier_id"] == "m1" else "cashier"
    return orjson.dumps(doc)


@pytest.fixture
def rig(tmp_path):
    cert = make_certificate()
    TillConfig(
        2, "s3cret-token", "srv-1", "https://127.0.0.1:1", signing_key=PUBLIC,
        server_cert=cert.cert_pem, server_fingerprint=cert.fingerprint,
    ).save(tmp_path)  # fmt: skip
    data = _snapshot()
    SnapshotStore(tmp_path / "snapshot").install(
        data, hashlib.sha256(data).hexdigest(), 1, **signed(data)
    )
    fake = FakeServer(ARTICLES)
    clock = Clock(datetime(2026, 12, 3, 10, tzinfo=UTC))
    made: list[Till] = []

    def new_till(who: str = "c1", pin: str = "1234") -> tuple[Till, list[dict]]:
        events: list[dict] = []
        till = Till(tmp_path, client_factory=fake, probe_fn=lambda *a, **k: SEEN, now=clock,
                    mdns=False)  # fmt: skip
        till.subscribe(events.append)
        till.start(background=False)
        till.link.discover()
        assert till.login(who, pin)
        made.append(till)
        return till, events

    yield fake, new_till
    for t in made:
        t.stop()


def _last(events, name):
    return [e for e in events if e["event"] == name][-1]


def test_float_in_out_and_count_against_the_expected_cash(rig):
    fake, new_till = rig
    till, events = new_till()
    assert till.cash("float", amount=10_000)["amount"] == 10_000
    till.scan("111", 5)
    sale = till.pay("cash", 1000)  # 5.50, 4.50 given back
    assert sale is not None and sale["change"] == 450
    assert till.cash("in", amount="2000", reason="change from the bank")["action"] == "in"
    # cash out is a manager's: refused to a cashier without a manager's PIN
    assert till.cash("out", amount=5000, reason="bank deposit") is None
    assert _last(events, "error")["code"] == "manager_needed"
    assert till.cash("out", amount=5000, reason="bank", manager="m1", pin="0000") is None
    assert _last(events, "error")["code"] == "manager_refused"
    assert till.cash("out", amount=5000, reason="bank", manager="c1", pin="1234") is None
    assert _last(events, "error")["code"] == "manager_refused"  # c1 is no manager
    out = till.cash("out", amount=5000, reason="bank deposit", manager="m1", pin="9876")
    assert out is not None and out["approved_by"] == "m1" and out["cashier_id"] == "c1"
    expected = 10_000 + 550 + 2000 - 5000
    till.cash("expected")
    assert _last(events, "cash_expected")["expected_cash"] == expected
    # the count: letters or a negative number said, nothing recorded
    seq = till.outbox.last_seq
    for bad in ({"5000": "deux"}, {"200": -1}, {"300": 1}):
        assert till.cash("count", counted=bad, manager="m1", pin="9876") is None
        assert _last(events, "error")["code"] == "bad_count"
    assert till.outbox.last_seq == seq
    count = till.cash("count", counted={"5000": 1, "2000": 1, "200": 2}, manager="m1", pin="9876")
    assert count is not None and count["expected"] == expected
    assert count["amount"] == 7400 and count["difference"] == 7400 - expected == -150
    said = _last(events, "cash_recorded")
    assert said["action"] == "count" and said["cash_difference"] == -150
    # every record in the outbox's chain, sent like a sale (once)
    records = till.outbox.sales()
    assert [r.get("action") for r in records] == ["float", None, "in", "out", "count"]
    assert verify_chain(records) == []
    till.link.online()
    assert {r["sale_id"] for r in records} <= set(fake.sales)
    assert till.outbox.pending_count == 0
    x = till.x_report()
    assert (x["float"], x["cash_in"], x["cash_out"]) == (10_000, 2000, 5000)
    assert x["expected_cash"] == expected and x["counted_cash"] == 7400
    assert x["cash_difference"] == -150 and x["cash_movements"] == 4
    assert x["count"] == 1 and x["total"] == 550  # cash movements are not takings
    # a restart finds it all, and a reprint still prints the last sale, not a count
    till.stop()
    again, _ = new_till()
    assert again.x_report()["expected_cash"] == expected
    assert again.last_record()["sale_id"] == sale["sale_id"]


def test_a_manager_counts_without_a_second_pin(rig):
    _, new_till = rig
    till, events = new_till("m1", "9876")
    count = till.cash("count", counted={"1000": 3})
    assert count is not None and count["approved_by"] == "m1" and count["difference"] == 3000
    assert till.cash("count", counted="3000") is None
    assert _last(events, "error")["code"] == "bad_count"
    assert till.cash("steal", amount=1) is None
    assert _last(events, "error")["code"] == "bad_cash_action"
    till.logout()
    assert till.cash("float", amount=100) is None
    assert _last(events, "error")["code"] == "not_logged_in"
