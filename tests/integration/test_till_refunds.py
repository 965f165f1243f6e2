"""Refunds on headless tills (`autonome till --headless`, real processes) against the
real store server on loopback: a sale found by its ticket on another till and given
back in part, never more than was sold; a refund made autonomous from the till's own
journal; an over-refund made while the server was lost, kept aside on the server at
upload (never lost, never counted twice); a manager's PIN above the threshold."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest

from appliance.domain import verify_chain
from appliance.processes import ServerProcess, TillProcess, autonome

pytestmark = pytest.mark.timeout(240)

BEER = "A139"  # 3.50
DISH = "A104"  # 12.50


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("refund-store") / "server"
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


def _till(tmp_path: Path, server: ServerProcess, name: str) -> TillProcess:
    t = TillProcess(tmp_path / name.replace(" ", "-"), name)
    t.enroll(server.enrolment_code(name), server.url)
    t.start(server.url)
    t.wait_event("mode", mode="ONLINE", timeout=30)
    t.send("login", cashier="c1", pin="1234")
    t.wait_event("logged_in")
    return t


@pytest.fixture
def tills(tmp_path, server):
    made: list[TillProcess] = []
    try:
        made.append(_till(tmp_path, server, "till A"))
        made.append(_till(tmp_path, server, "till B"))
        yield made
    finally:
        for t in made:
            t.kill()


def _sell(till: TillProcess, method: str, *articles: tuple[str, int]) -> dict:
    for article, quantity in articles:
        till.send("add", article_id=article, quantity=quantity)
        till.wait_event("line_added")
    till.send("pay", method=method)
    return till.wait_event("sale_closed")


def _journal(server: ServerProcess) -> list[dict]:
    r = server.api("GET", "/api/v1/journal")
    assert r.status_code == 200
    return r.json()["sales"]


def _until(what, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not (got := what()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return got


def test_a_ticket_of_another_till_refunded_in_part_never_more(tills, server):
    a, b = tills
    sale = _sell(a, "card", (BEER, 2), (DISH, 1))
    assert _until(lambda: any(s["sale_id"] == sale["sale_id"] for s in _journal(server)))
    b.send("refund", action="find", ticket=sale["sale_id"])  # the receipt's QR code
    found = b.wait_event("refund_found")
    assert found["source"] == "server" and found["total"] == 2 * 350 + 1250
    assert [(ln["sold"], ln["left"]) for ln in found["lines"]] == [(2, 2), (1, 1)]
    b.send("refund", action="refund", lines={"0": 1})
    done = b.wait_event("refund_closed")
    assert (
        done["total"] == 350 and done["method"] == "card" and done["refund_of"] == sale["sale_id"]
    )
    # the same ticket again, from its own till by its number: one beer is left
    a.send("refund", action="find", ticket=str(sale["seq"]))
    again = a.wait_event("refund_found")
    assert [ln["left"] for ln in again["lines"]] == [1, 1]
    a.send("refund", action="refund", lines={"0": 2})
    err = a.wait_event("error")
    assert err["code"] == "refund_too_much" and "(1 left)" in err["message"]
    # unknown tickets and bad input: said by name, nothing recorded
    a.send("refund", action="find", ticket="T9-999")
    assert a.wait_event("error")["code"] == "unknown_ticket"
    a.send("refund", action="find", ticket="abc")
    assert a.wait_event("error")["code"] == "bad_ticket"
    # above the threshold (50,00): a manager's PIN
    a.send("refund", action="find", ticket=str(sale["seq"]))
    a.wait_event("refund_found")
    big = _sell(a, "cash", (DISH, 5))
    a.send("refund", action="find", ticket=str(big["seq"]))
    a.wait_event("refund_found")
    a.send("refund", action="refund", lines={"0": 5})
    assert a.wait_event("error")["code"] == "manager_needed"
    a.send("refund", action="refund", lines={"0": 5}, manager="m1", pin="0000")
    assert a.wait_event("error")["code"] == "manager_refused"
    a.send("refund", action="refund", lines={"0": 5}, manager="m1", pin="9876")
    cash_back = a.wait_event("refund_closed")
    assert cash_back["method"] == "cash" and cash_back["total"] == 5 * 1250
    journal = _until(lambda: [s for s in _journal(server) if s.get("kind") == "refund"][1:])
    refunds = [s for s in _journal(server) if s.get("kind") == "refund"]
    assert len(refunds) == 2 and {r["approved_by"] for r in refunds} == {None, "m1"}, journal
    for till_id in {s["till_id"] for s in _journal(server)}:
        assert verify_chain([s for s in _journal(server) if s["till_id"] == till_id]) == []
    x = server.api("GET", "/api/v1/reports/x").json()
    assert x["refunds"]["count"] == 2 and x["refunds"]["total"] == 350 + 5 * 1250
    assert x["net_total"] == x["total"] - x["refunds"]["total"]


def test_an_over_refund_made_autonomous_is_kept_aside_at_upload(tills, server):
    a, b = tills
    sale = _sell(a, "cash", (BEER, 1), (DISH, 1))
    assert _until(lambda: any(s["sale_id"] == sale["sale_id"] for s in _journal(server)))
    b.send("refund", action="find", ticket=sale["sale_id"])
    b.wait_event("refund_found")
    b.send("refund", action="refund", lines={"1": 1})  # the dish, online, on till B
    b.wait_event("refund_closed")
    assert _until(lambda: [s for s in _journal(server) if s.get("kind") == "refund"])
    server.proc.send_signal(signal.SIGSTOP)
    a.wait_event("question", id="go_autonomous", timeout=15)
    a.send("answer", question="go_autonomous", answer="yes")
    a.wait_event("mode", mode="AUTONOMOUS")
    # alone, till A finds its own sale in its journal; it cannot know of B's refund
    a.send("refund", action="find", ticket=str(sale["seq"]))
    found = a.wait_event("refund_found")
    assert found["source"] == "till" and [ln["left"] for ln in found["lines"]] == [1, 1]
    a.send("refund", action="refund", lines={"0": 1, "1": 1})
    over = a.wait_event("refund_closed")
    assert over["mode"] == "autonomous" and over["total"] == 350 + 1250
    a.send("refund", action="find", ticket="T2-1")  # a ticket of till B: out of reach
    err = a.wait_event("error")
    assert err["code"] == "ticket_elsewhere" and "till 2" in err["message"]
    server.proc.send_signal(signal.SIGCONT)
    a.send("upload")
    a.wait_event("mode", mode="ONLINE", timeout=30)
    rows = _until(lambda: server.api("GET", "/api/v1/quarantine").json())
    assert [(r["reason"], r["sale_id"]) for r in rows] == [("over_refund", over["sale_id"])]
    assert "1 (1250 c) of sale" in rows[0]["message"] or "were left" in rows[0]["message"]
    a.send("upload")  # sent again: kept aside once, never stored
    time.sleep(1.5)
    assert len(server.api("GET", "/api/v1/quarantine").json()) == 1
    refunds = [s for s in _journal(server) if s.get("kind") == "refund"]
    assert len(refunds) == 1 and refunds[0]["refund_of"] == sale["sale_id"]
    assert not server.api("GET", "/api/v1/integrity").json()
    x = server.api("GET", "/api/v1/reports/x").json()
    assert x["refunds"]["total"] == 1250
