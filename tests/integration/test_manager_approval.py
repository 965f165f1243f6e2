"""A manager's approval on a headless till (`autonome till --headless`, a real process)
against the real store server on loopback, with the demo store's thresholds carried by
the snapshot: a discount, a price cut, a void and a cancel above them wait for a
manager's id and PIN; who approved is in the sale's record on the server."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from appliance.demo_printers import NO_PRINTERS
from appliance.domain import format_cents
from appliance.processes import ServerProcess, TillProcess, autonome

pytestmark = pytest.mark.timeout(240)

DISH = "A104"  # Plat du jour, 12.50
COFFEE = "A109"  # Expresso, 1.50


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("manager-store") / "server"
    data.mkdir()
    autonome("server", "init", "--data", str(data), "--demo", *NO_PRINTERS, timeout=300)
    autonome("snapshot", "build", "--data", str(data))
    return data


@pytest.fixture
def server(tmp_path, template):
    data = tmp_path / "server"
    shutil.copytree(template, data)
    s = ServerProcess(data, mdns=False).start()
    yield s
    s.stop()


@pytest.fixture
def till(tmp_path, server):
    t = _started(tmp_path, server)
    yield t
    t.quit()


def _started(tmp_path: Path, server: ServerProcess) -> TillProcess:
    t = TillProcess(tmp_path / "till", "till 1")
    t.enroll(server.enrolment_code("till 1"), server.url)
    t.start(server.url)
    t.wait_event("mode", mode="ONLINE", timeout=30)
    t.send("login", cashier="c1", pin="1234")
    t.wait_event("logged_in")
    return t


def test_the_admin_sets_the_rules_and_the_next_snapshot_brings_them_to_the_till(tmp_path, server):
    rules = server.api("GET", "/api/v1/till-rules").json()
    assert rules["discount_percent"] == 20 and rules["cancel_cents"] == 2000
    bad = server.api("PUT", "/api/v1/till-rules", json={"discount_percent": 150})
    assert bad.status_code == 422 and "discount_percent" in bad.json()["message"]
    bad = server.api("PUT", "/api/v1/till-rules", json={"discount_pct": 5})
    assert bad.status_code == 422 and "discount_pct" in bad.json()["message"]
    assert server.api("GET", "/api/v1/till-rules").json() == rules  # nothing changed
    kept = server.api("PUT", "/api/v1/till-rules", json={"void_cents": 0}).json()
    assert kept["void_cents"] == 0 and kept["discount_percent"] == 20  # the others stay
    server.api("POST", "/api/v1/snapshot/build").raise_for_status()
    t = _started(tmp_path, server)
    try:
        t.send("add", article_id=COFFEE)
        t.wait_event("line_added")
        t.send("void", line=0)  # 1.50: above the new 0.00
        asked = t.wait_event("error", code="manager_needed")
        assert asked["action"] == "void" and asked["amount"] == 150
    finally:
        t.quit()


def test_edits_above_the_thresholds_wait_for_a_manager_then_the_record_says_who(till, server):
    till.send("add", article_id=DISH)
    till.wait_event("line_added")
    # 10 % of 12.50: under the store's 20 %, no manager
    till.send("discount", line=0, percent=10)
    assert till.wait_event("sale_updated")["sale"]["lines"][0]["discount"] == 125
    # 50 %: a manager; a cashier's PIN or a wrong one approves nothing
    till.send("discount", line=0, percent=50)
    asked = till.wait_event("error", code="manager_needed")
    assert asked["action"] == "discount" and asked["amount"] == 625
    till.send("discount", line=0, percent=50, manager="c1", manager_pin="1234")
    till.wait_event("error", code="manager_refused")
    till.send("discount", line=0, percent=50, manager="m1", manager_pin="0000")
    till.wait_event("error", code="manager_refused")
    till.send("discount", line=0, percent=50, manager="m1", manager_pin="9876")
    assert till.wait_event("sale_updated")["sale"]["lines"][0]["discount"] == 625
    # a price cut of more than 2.00, then voiding a line worth more than 10.00
    till.send("add", article_id=DISH)
    till.wait_event("line_added")
    till.send("price", line=1, cents=900)
    till.wait_event("error", code="manager_needed", action="price")
    till.send("price", line=1, cents=1100)  # 1.50 off: the cashier may
    assert till.wait_event("sale_updated")["sale"]["lines"][1]["unit_price"] == 1100
    till.send("add", article_id=DISH)
    till.wait_event("line_added")
    till.send("void", line=2)
    till.wait_event("error", code="manager_needed", action="void")
    till.send("void", line=2, manager="m1", manager_pin="9876")
    assert len(till.wait_event("sale_updated")["sale"]["lines"]) == 2
    till.send("pay", method="card")
    record = till.wait_event("sale_closed")["record"]
    approvals = record["approvals"]
    assert [(a["action"], a["manager_id"], a["cashier_id"]) for a in approvals] == [
        ("discount", "m1", "c1"),
        ("void", "m1", "c1"),
    ]
    till.send("upload")
    till.wait_event("upload_finished", timeout=30)
    on_server = server.api("GET", "/api/v1/journal").json()["sales"]
    assert [r["approvals"] for r in on_server if r["sale_id"] == record["sale_id"]] == [approvals]


def test_autonomous_the_manager_pin_is_checked_against_the_snapshot(till, server):
    till.send("add", article_id=COFFEE)
    till.wait_event("line_added")
    server.kill()
    till.wait_event("question", id="go_autonomous", timeout=30)
    till.send("answer", question="go_autonomous", answer="yes")
    till.wait_event("mode", mode="AUTONOMOUS", timeout=30)
    till.send("discount", cents=100)  # 1.00 of 1.50
    till.wait_event("error", code="manager_needed", action="discount")
    till.send("discount", cents=100, manager="m1", manager_pin="1111")
    till.wait_event("error", code="manager_refused")
    till.send("discount", cents=100, manager="m1", manager_pin="9876")
    assert till.wait_event("sale_updated")["sale"]["sale_discount"] == 100
    till.send("pay", method="cash", amount=100)
    record = till.wait_event("sale_closed")["record"]
    assert record["mode"] == "autonomous"
    assert [(a["action"], a["manager_id"]) for a in record["approvals"]] == [("discount", "m1")]


def test_a_cancel_after_a_payment_reaches_the_server_once_and_counts_in_x_and_z(till, server):
    till.send("add", article_id=DISH)
    till.wait_event("line_added")
    till.send("pay", method="cash", amount=500)
    assert till.wait_event("sale_updated")["sale"]["paid"] == 500
    till.send("cancel")
    assert till.wait_event("error", code="manager_needed")["action"] == "cancel"
    till.send("cancel", manager="m1", manager_pin="9876")
    done = till.wait_event("sale_cancelled", journaled=True)
    assert done["total"] == 1250 and done["paid"] == 500
    # an empty sale cancelled is no record
    till.send("cancel")
    assert till.wait_event("sale_cancelled")["journaled"] is False
    # a sale closed after it, so that the day has both
    till.send("add", article_id=COFFEE)
    till.wait_event("line_added")
    till.send("pay", method="card")
    till.wait_event("sale_closed")

    def x():
        return server.api("GET", "/api/v1/reports/x").json()

    deadline = time.monotonic() + 30
    while x()["cancelled"]["count"] == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    report = x()
    assert report["cancelled"] == {"count": 1, "total": 1250, "paid": 500}
    assert report["sales"] == 1 and report["total"] == 150
    # the till sends its journal again (a server restored from a backup): still once
    till.quit()
    (till.data / "events.sent").write_text("0\n")
    till.start(server.url)
    till.wait_event("mode", mode="ONLINE", timeout=30)
    time.sleep(2)
    assert x()["cancelled"]["count"] == 1
    z = server.api("POST", "/api/v1/reports/z", json={}).json()
    assert z["cancelled"] == {"count": 1, "total": 1250, "paid": 500}
    text = autonome("server", "report", "x", "--data", str(server.data))
    assert f"cancelled sales: 1, {format_cents(1250)} (paid back {format_cents(500)})" in text


def test_wrong_pins_lock_the_login_across_a_restart_and_the_pin_alone_logs_in(tmp_path, server):
    rules = {"pin_tries": 2, "pin_lock_s": 60, "pin_only_login": True}
    server.api("PUT", "/api/v1/till-rules", json=rules).raise_for_status()
    server.api("POST", "/api/v1/snapshot/build").raise_for_status()
    t = TillProcess(tmp_path / "till", "till 1")
    t.enroll(server.enrolment_code("till 1"), server.url)
    t.start(server.url)
    try:
        t.wait_event("mode", mode="ONLINE", timeout=30)
        # the PIN alone finds the cashier
        t.send("login", pin="1234")
        assert t.wait_event("logged_in")["cashier_id"] == "c1"
        t.send("logout")
        t.send("login", cashier="c1", pin="1111")
        t.wait_event("error", code="bad_login")
        t.send("login", pin="2222")  # the second wrong PIN in a row: the till waits
        assert t.wait_event("error", code="pin_locked")["wait_s"] == 60
        t.send("login", cashier="c1", pin="1234")  # even the right one
        t.wait_event("error", code="pin_locked")
        t.quit()
        assert (t.data / "pinlock.json").exists()
        t.start(server.url)  # a restart gives no tries back
        t.wait_event("mode", mode="ONLINE", timeout=30)
        t.send("login", cashier="c1", pin="1234")
        assert 0 < t.wait_event("error", code="pin_locked")["wait_s"] <= 60
    finally:
        t.quit()


def test_a_card_waits_for_the_terminal_and_an_answer_after_a_cancel_takes_nothing(tmp_path, server):
    server.api("PUT", "/api/v1/till-rules", json={"card_confirmation": True}).raise_for_status()
    server.api("POST", "/api/v1/snapshot/build").raise_for_status()
    t = _started(tmp_path, server)
    try:
        t.send("add", article_id=COFFEE)
        t.wait_event("line_added")
        t.send("pay", method="card")
        assert t.wait_event("card_pending")["amount"] == 150
        t.send("cancel")  # the customer leaves: the terminal's late answer takes nothing
        t.wait_event("sale_cancelled", journaled=True)
        t.send("card_answer", accepted=True)
        t.wait_event("error", code="no_card_pending")
        t.send("add", article_id=COFFEE)
        t.wait_event("line_added")
        t.send("pay", method="card")
        t.wait_event("card_pending")
        t.send("card_answer", accepted=False)
        assert t.wait_event("card_refused")["sale"]["paid"] == 0
        t.send("pay", method="card")
        t.wait_event("card_pending")
        t.send("card_answer", accepted=True)
        record = t.wait_event("sale_closed")["record"]
        assert record["payments"] == [{"method": "card", "amount": 150}]
    finally:
        t.quit()
