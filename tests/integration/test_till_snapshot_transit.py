"""A snapshot corrupted in transit: the headless till rejects it and keeps its own.

The store here is the small fake of test_till_fake_server.py, because it can
flip bytes of the snapshot on the wire while announcing the true hash.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_till_fake_server import FakeStore

from appliance.processes import TillProcess

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_till_snapshot import make_snapshot  # noqa: E402

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
