"""A snapshot corrupted in transit, forged or unsigned: the headless till rejects it
and keeps its own.

The store here is the small fake of testbed/fakestore.py, because it can
flip bytes of the snapshot on the wire while announcing the true hash, and
sign with another key or not at all.
"""

from __future__ import annotations

import json

import pytest

from appliance.processes import TillProcess
from appliance.protocol.signing import load_private_key, new_private_key_pem
from testbed.fakestore import FakeStore
from testbed.snapshots import make_snapshot

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def store():
    s = FakeStore(make_snapshot(1)).start()
    yield s
    s.kill()


def test_a_snapshot_corrupted_in_transit_is_rejected_and_the_old_one_kept(tmp_path, store):
    till = TillProcess(tmp_path / "till", "till A")
    till.enroll("GOOD-CODE", store.url)
    try:
        till.start(store.url)
        till.wait_event("mode", mode="ONLINE", timeout=20)
        store.corrupt_snapshot = True
        store.publish_snapshot(make_snapshot(2, cashiers={"c1": "1234", "c2": "5678"}), 2)
        err = till.wait_event("error", code="snapshot_rejected", timeout=10)
        assert "hash" in err["message"]
        till.send("status")
        assert till.wait_event("status")["snapshot_version"] == 1
        till.send("login", cashier="c2", pin="5678")
        assert till.wait_event("error")["code"] == "bad_login"
        events = [line for line in (till.data / "events.log").read_text().splitlines()]
        assert any('"snapshot_rejected"' in line for line in events)
        store.corrupt_snapshot = False
        till.quit()
        till.start(store.url)
        assert till.wait_event("snapshot_installed", timeout=15)["version"] == 2
        till.send("login", cashier="c2", pin="5678")
        till.wait_event("logged_in")
    finally:
        till.kill()


def _journal(till: TillProcess) -> list[dict]:
    lines = (till.data / "events.log").read_text().splitlines()
    return [json.loads(line.split(" ", 1)[1]) for line in lines]  # "<checksum> <event>"


def _rejections(till: TillProcess) -> list[tuple[int, str]]:
    return [
        (e["data"]["version"], e["data"]["reason"])
        for e in _journal(till)
        if e["type"] == "snapshot_rejected"
    ]


def test_forged_and_unsigned_snapshots_are_refused_and_the_old_one_kept(tmp_path, store):
    till = TillProcess(tmp_path / "till", "till A")
    till.enroll("GOOD-CODE", store.url)
    try:
        till.start(store.url)
        till.wait_event("mode", mode="ONLINE", timeout=20)
        in_use = (till.data / "snapshot" / "current.json").read_bytes()
        # A rogue server's catalogue: sound bytes, true hash, signed by another key.
        store.sign_with = load_private_key(new_private_key_pem())
        store.publish_snapshot(make_snapshot(2, cashiers={"c1": "1234", "c2": "5678"}), 2)
        err = till.wait_event("error", code="snapshot_rejected", timeout=10)
        assert "signature" in err["message"]
        store.sign_with = None
        store.publish_snapshot(make_snapshot(3, cashiers={"c1": "1234", "c2": "5678"}), 3)
        err = till.wait_event("error", code="snapshot_rejected", timeout=10)
        assert "no signature" in err["message"]
        till.send("status")
        assert till.wait_event("status")["snapshot_version"] == 1
        till.send("login", cashier="c2", pin="5678")
        assert till.wait_event("error")["code"] == "bad_login"
        assert (till.data / "snapshot" / "current.json").read_bytes() == in_use
        assert _rejections(till)[:2] == [(2, "bad_signature"), (3, "unsigned")]
        store.sign_with = store.key  # the store's own server again
        store.publish_snapshot(make_snapshot(4, cashiers={"c1": "1234", "c2": "5678"}), 4)
        assert till.wait_event("snapshot_installed", timeout=15)["version"] == 4
        till.send("login", cashier="c2", pin="5678")
        till.wait_event("logged_in")
    finally:
        till.kill()


def test_a_till_enrolled_before_signing_refuses_snapshots_and_says_enrol_again(tmp_path, store):
    till = TillProcess(tmp_path / "till", "till A")
    till.enroll("GOOD-CODE", store.url)
    conf_path = till.data / "till.json"
    conf = json.loads(conf_path.read_text())
    assert conf["signing_key"]
    del conf["signing_key"]  # as written before snapshots were signed
    conf_path.write_text(json.dumps(conf))
    try:
        till.start(store.url)
        err = till.wait_event("error", code="snapshot_rejected", timeout=20)
        assert "enrol it again" in err["message"]
        assert not (till.data / "snapshot" / "current.json").exists()
        assert _rejections(till) == [(1, "no_signing_key")]
    finally:
        till.kill()
