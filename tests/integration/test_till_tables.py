"""Tables on headless tills (`autonome till --headless`, real processes) against the
real store server on loopback, with simulated kitchen and bar printers: a table from
its opening to its last guest's payment, and a table taken over by another till
while the first had lost the server."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest

from appliance.domain import verify_chain
from appliance.processes import ServerProcess, TillProcess, autonome

pytestmark = pytest.mark.timeout(240)

BEER = "A139"  # Bière pression 25 cl, 3.50, the bar's
COFFEE = "A109"  # Expresso, 1.50, the bar's
DISH = "A104"  # Plat du jour, 12.50, the kitchen's


@pytest.fixture(scope="module")
def printers():
    from drivers.sim import SimPrinter

    kitchen, bar = SimPrinter(), SimPrinter()
    kitchen.serve_tcp(port=0)
    bar.serve_tcp(port=0)
    yield {"cuisine": kitchen, "bar": bar}
    kitchen.close()
    bar.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory, printers) -> Path:
    data = tmp_path_factory.mktemp("tables-store") / "server"
    data.mkdir()
    opts = []
    for pid, p in printers.items():
        opts += ["--printer", f"{pid}={p.tcp.address}"]
    autonome("server", "init", "--data", str(data), "--demo", *opts, timeout=300)
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


def _journal(server: ServerProcess) -> list[dict]:
    r = server.api("GET", "/api/v1/journal")
    assert r.status_code == 200
    return r.json()["sales"]


def _journal_until(server: ServerProcess, count: int, timeout: float = 30) -> list[dict]:
    """The store's journal once it holds `count` sales (each sale goes through the
    till's outbox first); never more."""
    deadline = time.monotonic() + timeout
    while len(sales := _journal(server)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)  # a sale sent twice would be there by now
    sales = _journal(server)
    assert len(sales) == count, sales
    return sales


def _table(till: TillProcess, action: str, table_id: str = "", **args) -> None:
    till.send("table", action=action, table_id=table_id, **args)


def _wait_receipts(printer, count: int, timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(printer.receipts_text()) < count:
        assert time.monotonic() < deadline, printer.receipts_text()
        time.sleep(0.1)
    return printer.receipts_text()


def test_a_table_from_its_opening_to_its_last_guest(tills, server, printers):
    a, _b = tills
    bar, kitchen = printers["bar"], printers["cuisine"]
    bar_before, kitchen_before = len(bar.receipts_text()), len(kitchen.receipts_text())
    _table(a, "floor")
    floor = a.wait_event("floor_plan")
    assert {r["room_id"] for r in floor["rooms"]} == {"salle", "terrasse"}
    assert {t["table_id"]: t["state"] for t in floor["tables"]}["T3"] == "free"
    _table(a, "open", "T3", covers=2)
    opened = a.wait_event("table_opened")
    assert opened["table"]["covers"] == 2
    _table(a, "order", "T3", article_id=BEER, quantity=2)
    a.wait_event("table")
    _table(a, "order", "T3", article_id=DISH, course=2, note="sauce à part",
           modifiers=["saignant", "supp-fromage"])  # fmt: skip
    dish = a.wait_event("table")["table"]["lines"][-1]
    assert dish["modifiers"][1]["price"] == 150
    # the drinks first, the main later
    _table(a, "send", "T3", course=1)
    first = a.wait_event("round_sent")
    assert first["round"] == 1 and [ln["sent_round"] for ln in first["table"]["lines"]] == [1, None]
    assert "Bière pression" in _wait_receipts(bar, bar_before + 1)[-1]
    _table(a, "send", "T3", course=2)
    second = a.wait_event("round_sent")
    assert second["round"] == 2
    ticket = _wait_receipts(kitchen, kitchen_before + 1)[-1]
    assert "1 x Plat du jour" in ticket and "> Saignant, Supplément fromage · sauce à" in ticket
    assert "Table 3" in ticket and "Plats" in ticket
    _table(a, "send", "T3")
    assert a.wait_event("error")["code"] == "nothing_to_send"
    _table(a, "reprint", "T3", round=2)
    assert a.wait_event("round_reprinted")["copy"] is True
    assert "COPIE" in _wait_receipts(kitchen, kitchen_before + 2)[-1]
    # split by item: one beer and the dish for guest 1, the other beer for guest 2
    beer_line = first["table"]["lines"][0]["line_id"]
    _table(a, "assign", "T3", line_id=beer_line, guest=2, quantity=1)
    a.wait_event("table")
    _table(a, "assign", "T3", line_id=beer_line, guest=1)
    a.wait_event("table")
    _table(a, "assign", "T3", line_id=dish["line_id"], guest=1)
    assert a.wait_event("table")["table"]["guests"] == [1, 2]
    _table(a, "pay", "T3", method="card", guest=1)
    one = a.wait_event("sale_closed")
    assert one["total"] == 350 + 1250 + 150
    paid = a.wait_event("table_paid")
    assert paid["table"]["due"] == 350
    _table(a, "pay", "T3", method="cash", amount=500, guest=2)
    two = a.wait_event("sale_closed")
    assert two["change"] == 150
    a.wait_event("table_closed")
    # closed twice: a clear refusal, nothing changes
    _table(a, "close", "T3")
    err = a.wait_event("error")
    assert err["code"] == "table_closed" and "T3" in err["message"]
    sales = _journal_until(server, 2)
    assert [s["table"]["part"] for s in sales] == ["guest-1", "guest-2"]
    assert verify_chain(sales) == []
    _table(a, "floor")
    assert {t["table_id"]: t["state"] for t in a.wait_event("floor_plan")["tables"]}["T3"] == "free"


def test_a_table_taken_over_while_its_till_had_lost_the_server(tills, server):
    """A holds T5 and loses the server; B takes T5 over and is paid; A, alone, rang up
    a coffee on T5. Back, A hears of the take-over and keeps its coffee as a bill of
    its own: every line paid once, nothing lost, the chains whole."""
    a, b = tills
    _table(a, "open", "T5", covers=2)
    a.wait_event("table_opened")
    _table(a, "order", "T5", article_id=BEER)
    a.wait_event("table")
    _table(a, "send", "T5")
    a.wait_event("round_sent")
    server.proc.send_signal(signal.SIGSTOP)
    a.wait_event("question", id="go_autonomous", timeout=15)
    a.send("answer", question="go_autonomous", answer="yes")
    a.wait_event("mode", mode="AUTONOMOUS")
    b.wait_event("question", id="go_autonomous", timeout=15)
    # alone, A goes on with its table
    _table(a, "order", "T5", article_id=COFFEE)
    alone = a.wait_event("table")["table"]
    assert alone["unsynced"] is True and len(alone["lines"]) == 2
    server.proc.send_signal(signal.SIGCONT)
    b.send("answer", question="go_autonomous", answer="retry")
    b.wait_event("mode", mode="ONLINE", timeout=30)
    _table(b, "floor")
    seen = {t["table_id"]: t for t in b.wait_event("floor_plan")["tables"]}
    assert seen["T5"]["state"] == "elsewhere" and seen["T5"]["holder"] == 1
    _table(b, "order", "T5", article_id=BEER)
    assert b.wait_event("error")["code"] == "table_elsewhere"
    _table(b, "take", "T5")
    taken = b.wait_event("table_taken")["table"]
    assert [ln["article_id"] for ln in taken["lines"]] == [BEER]  # what the server had
    _table(b, "pay", "T5", method="card")
    b.wait_event("table_closed")
    # A is back: the take-over is told, the coffee kept apart, then paid once
    a.send("upload")
    a.wait_event("mode", mode="ONLINE", timeout=30)
    conflict = a.wait_event("table_conflict", timeout=30)
    assert [ln["article_id"] for ln in conflict["table"]["lines"]] == [COFFEE]
    _table(a, "pay", "T5", method="cash", amount=150)
    assert a.wait_event("table_closed")["table"]["due"] == 0
    sales = _journal_until(server, 2)
    paid_lines = [lid for s in sales for lid in (s.get("table") or {}).get("line_ids", [])]
    assert len(paid_lines) == len(set(paid_lines)) == 2, sales
    assert sorted(s["total"] for s in sales) == [150, 350]
    assert {s["table"]["opening"] for s in sales} == {
        taken["opening"],
        conflict["table"]["opening"],
    }
    for till_id in {s["till_id"] for s in sales}:
        assert verify_chain([s for s in sales if s["till_id"] == till_id]) == []
