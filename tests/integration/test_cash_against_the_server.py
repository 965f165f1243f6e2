"""Cash control on a headless till (`autonome till --headless`, a real process) against
the real store server on loopback: the float, cash in and out, the count of the drawer
reach the server's journal once each, in the till's chain, made online or autonomous;
a count with letters is said and nothing recorded; the server's X report counts them."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest

from appliance.domain import verify_chain
from appliance.processes import ServerProcess, TillProcess, autonome
from testbed.office import Office

pytestmark = pytest.mark.timeout(240)

BEER = "A139"  # 3.50


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("cash-store") / "server"
    data.mkdir()
    autonome("server", "init", "--data", str(data), "--demo", timeout=300)
    autonome("snapshot", "build", "--data", str(data))
    return data


@pytest.fixture
def server(tmp_path, template):
    data = tmp_path / "server"
    shutil.copytree(template, data)
    s = ServerProcess(data, mdns=False).start()
    yield s
    s.proc.send_signal(signal.SIGCONT)
    s.stop()


@pytest.fixture
def till(tmp_path, server):
    t = TillProcess(tmp_path / "till-A", "till A")
    try:
        t.enroll(server.enrolment_code("till A"), server.url)
        t.start(server.url)
        t.wait_event("mode", mode="ONLINE", timeout=30)
        t.send("login", cashier="c1", pin="1234")
        t.wait_event("logged_in")
        yield t
    finally:
        t.kill()


def _journal(server: ServerProcess) -> list[dict]:
    r = server.api("GET", "/api/v1/journal")
    assert r.status_code == 200
    return r.json()["sales"]


def _until(what, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not (got := what()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return got


def _cash(server: ServerProcess) -> list[dict]:
    return [s for s in _journal(server) if s.get("kind") == "cash"]


def test_cash_control_online_and_autonomous_reaches_the_server_once(till, server):
    till.send("cash", action="float", amount=15_000)
    assert till.wait_event("cash_recorded")["expected_cash"] == 15_000
    till.send("add", article_id=BEER, quantity=2)
    till.wait_event("line_added")
    till.send("pay", method="cash", amount=1000)
    assert till.wait_event("sale_closed")["change"] == 300
    till.send("cash", action="in", amount=2000, reason="change from the bank")
    till.wait_event("cash_recorded")
    till.send("cash", action="out", amount=5000, reason="bank deposit")
    assert till.wait_event("error")["code"] == "manager_needed"
    till.send("cash", action="out", amount=5000, reason="bank deposit", manager="m1", pin="9876")
    out = till.wait_event("cash_recorded")
    assert out["record"]["approved_by"] == "m1"
    assert _until(lambda: len(_cash(server)) == 3)
    # the server lost: the count made autonomous, sent at the upload
    server.proc.send_signal(signal.SIGSTOP)
    till.wait_event("question", id="go_autonomous", timeout=15)
    till.send("answer", question="go_autonomous", answer="yes")
    till.wait_event("mode", mode="AUTONOMOUS")
    till.send("cash", action="count", counted={"5000": 2, "deux": 1}, manager="m1", pin="9876")
    err = till.wait_event("error")
    assert err["code"] == "bad_count" and "deux" in err["message"]
    till.send("cash", action="count", counted={"5000": 2, "200": -3}, manager="m1", pin="9876")
    assert till.wait_event("error")["code"] == "bad_count"
    expected = 15_000 + 700 + 2000 - 5000
    till.send("cash", action="count", counted={"10000": 1, "2000": 1, "500": 1}, manager="m1",
              pin="9876")  # fmt: skip
    count = till.wait_event("cash_recorded")["record"]
    assert count["mode"] == "autonomous" and count["expected"] == expected
    assert count["difference"] == 12_500 - expected == -200
    server.proc.send_signal(signal.SIGCONT)
    till.send("upload")
    till.wait_event("mode", mode="ONLINE", timeout=30)
    assert _until(lambda: len(_cash(server)) == 4)
    till.send("upload")  # sent again: stored once
    time.sleep(1.5)
    moves = _cash(server)
    assert [m["action"] for m in moves] == ["float", "in", "out", "count"]
    assert len({m["sale_id"] for m in moves}) == 4
    assert verify_chain(_journal(server)) == []
    assert not server.api("GET", "/api/v1/quarantine").json()
    assert not server.api("GET", "/api/v1/integrity").json()
    x = server.api("GET", "/api/v1/reports/x").json()
    assert x["cash"]["movements"] == 4 and x["cash"]["float"] == 15_000
    assert x["cash"]["expected"] == expected and x["cash"]["difference"] == -200
    assert x["total"] == 700 and x["sales"] == 1  # movements are not takings
    # the back office's journal shows them beside the sale
    office = Office(server)
    try:
        assert office.login().status_code == 303
        page = office.http.get("/admin/journal")
        assert page.status_code == 200, page.text
        assert "bank deposit" in page.text and "-2,00 €" in page.text
    finally:
        office.close()
