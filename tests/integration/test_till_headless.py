"""`autonome till --headless` as a subprocess against a store over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from test_till_fake_server import FakeStore

from appliance.domain import hash_pin, verify_chain
from appliance.processes import ProcessError, TillProcess, autonome

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit"))
from test_till_snapshot import make_snapshot  # noqa: E402

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def store():
    s = FakeStore(make_snapshot(1)).start()
    yield s
    s.kill()


@pytest.fixture
def till(tmp_path, store):
    t = TillProcess(tmp_path / "till", "till A")
    t.enroll("GOOD-CODE", store.url)
    yield t
    t.kill()


def start_online(till: TillProcess, store: FakeStore) -> None:
    till.start(store.url)
    till.wait_event("mode", mode="ONLINE", timeout=20)
    till.send("login", cashier="c1", pin="1234")
    till.wait_event("logged_in")


def sell(till: TillProcess, codes=("3760000000011",), amount=1000) -> dict:
    for code in codes:
        till.send("scan", code=code)
        till.wait_event("line_added")
    till.send("pay", method="cash", amount=amount)
    return till.wait_event("sale_closed")


def wait_until(predicate, timeout=10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_enrolment_writes_the_till_identity(tmp_path, store):
    with pytest.raises(ProcessError, match="bad_enrolment_code"):
        autonome(
            "till",
            "enroll",
            "--data",
            str(tmp_path / "x"),
            "--code",
            "WRONG",
            "--server",
            store.url,
        )
    assert not (tmp_path / "x" / "till.json").exists()
    out = autonome(
        "till",
        "enroll",
        "--data",
        str(tmp_path / "t"),
        "--code",
        "GOOD-CODE",
        "--server",
        store.url,
    )
    assert "till 1" in out and "token" not in out.lower()
    conf = json.loads((tmp_path / "t" / "till.json").read_text())
    assert conf["till_id"] == 1 and conf["server_id"] == "srv-1" and conf["token"]
    assert conf["server_url"] == store.url
    assert os.stat(tmp_path / "t" / "till.json").st_mode & 0o077 == 0
    with pytest.raises(ProcessError, match="already"):
        autonome(
            "till",
            "enroll",
            "--data",
            str(tmp_path / "t"),
            "--code",
            "GOOD-CODE",
            "--server",
            store.url,
        )


def test_online_sale_reaches_the_server_at_once(till, store):
    start_online(till, store)
    closed = sell(till, ("3760000000011", "3760000000028"))
    assert closed["seq"] == 1 and closed["total"] == 230 and closed["change"] == 770
    wait_until(lambda: closed["sale_id"] in store.sales)
    assert store.sales[closed["sale_id"]]["mode"] == "online"
    till.send("scan", code="0000000000000")
    err = till.wait_event("error")
    assert err["code"] == "unknown_barcode"
    till.send("status")
    st = till.wait_event("status")
    assert st["mode"] == "ONLINE" and st["last_seq"] == 1 and st["snapshot_version"] == 1
    assert st["sale"]["lines"] == []
    wait_until(lambda: store.last_seq.get(1) == 1)  # the heartbeat reports the last seq


def test_losing_the_server_asks_within_3_s_and_the_sale_completes_autonomously(till, store):
    start_online(till, store)
    sell(till)
    till.send("scan", code="3760000000011")
    till.wait_event("line_added")
    t0 = time.monotonic()
    store.kill()
    q = till.wait_event("question", id="go_autonomous", timeout=10)
    lost_after = time.monotonic() - t0
    assert lost_after < 3.0, lost_after
    assert q["choices"] == ["yes", "retry"] and q["consequences"]["yes"]
    till.send("scan", code="3760000000028")
    assert till.wait_event("error")["code"] == "question_pending"
    till.send("answer", question="go_autonomous", answer="yes")
    till.wait_event("mode", mode="AUTONOMOUS")
    till.send("scan", code="3760000000028")
    ev = till.wait_event("line_added")
    assert len(ev["sale"]["lines"]) == 2  # the sale begun online is still there
    till.send("pay", method="card", amount=ev["sale"]["total"])
    closed = till.wait_event("sale_closed")
    assert closed["mode"] == "autonomous" and closed["seq"] == 2
    till.send("create_article", article={"name": "Tarte", "price": 300, "vat_bp": 550})
    err = till.wait_event("error")
    assert err["code"] == "autonomous_no_article_creation"
    till.send("kitchen", table="7", lines=[{"name": "Tarte", "quantity": 1}])
    err = till.wait_event("error")
    assert err["code"] == "printers_out_of_reach" and "autonomous mode" in err["message"]


def test_back_from_an_outage_the_till_asks_then_uploads_exactly_once(till, store):
    start_online(till, store)
    online = [sell(till) for _ in range(3)]
    store.kill()
    till.wait_event("question", id="go_autonomous", timeout=10)
    till.send("answer", answer="yes")
    till.wait_event("mode", mode="AUTONOMOUS")
    offline = [sell(till, ("3760000000035",), 200) for _ in range(25)]
    till.quit()
    held = len(store.sales)  # the last online sale may not have left before the kill
    store.start()
    till.start(store.url)
    q = till.wait_event("question", id="send_sales", timeout=20)
    assert f"{28 - held} sales" in q["text"] and q["choices"] == ["send", "later"]
    till.send("answer", question="send_sales", answer="later")
    till.wait_event("mode", mode="AUTONOMOUS")
    time.sleep(1.5)
    assert len(store.sales) == held  # "later" sends nothing
    till.send("upload")
    done = till.wait_event("upload_finished", timeout=30)
    assert done["sent"] == 28 - held
    till.wait_event("mode", mode="ONLINE")
    ids = [c["sale_id"] for c in online + offline]
    assert sorted(store.sales) == sorted(ids)
    records = sorted(store.sales.values(), key=lambda r: r["seq"])
    assert [r["seq"] for r in records] == list(range(1, 29))
    assert verify_chain(records) == []
    assert sum(r["mode"] == "autonomous" for r in records) == 25
    wait_until(lambda: any(e["type"] == "upload_finished" for e in store.events.values()))


def test_malformed_commands_get_errors_never_a_crash(till, store):
    start_online(till, store)
    bad = [
        "{not json",
        "[]",
        '{"no": "cmd"}',
        '{"cmd": "fly"}',
        '{"cmd": "scan"}',
        '{"cmd": "scan", "code": 12}',
        '{"cmd": "qty", "line": "x", "quantity": 2}',
        '{"cmd": "qty", "line": 9, "quantity": 2}',
        '{"cmd": "pay", "method": "gold"}',
        '{"cmd": "pay", "payments": "all"}',
        '{"cmd": "answer", "answer": "yes"}',
        '{"cmd": "discount", "percent": 150}',
    ]
    assert till.proc is not None and till.proc.stdin is not None
    for line in bad:
        till.proc.stdin.write(line + "\n")
        till.proc.stdin.flush()
        err = till.wait_event("error")
        assert err["code"] and err["message"], line
    till.send("status")
    assert till.wait_event("status")["mode"] == "ONLINE"


def test_a_snapshot_corrupted_in_transit_is_rejected_and_the_old_one_kept(till, store):
    start_online(till, store)
    store.corrupt_snapshot = True
    newer = make_snapshot(2, cashiers={"c1": "1234", "c2": "5678"})
    store.publish_snapshot(newer, 2)
    err = till.wait_event("error", code="snapshot_rejected", timeout=10)
    assert "hash" in err["message"]
    till.send("status")
    assert till.wait_event("status")["snapshot_version"] == 1
    store.corrupt_snapshot = False
    till.quit()
    till.start(store.url)
    ev = till.wait_event("snapshot_installed", timeout=15)
    assert ev["version"] == 2
    till.send("login", cashier="c2", pin="5678")
    till.wait_event("logged_in")


def test_the_headless_till_refuses_an_unenrolled_folder(tmp_path):
    with pytest.raises(ProcessError, match="enrol"):
        autonome("till", "--headless", "--data", str(tmp_path))
    assert hash_pin("1234")  # the domain is importable next to the till
