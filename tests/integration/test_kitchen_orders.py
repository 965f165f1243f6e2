"""Kitchen orders of a sale from a headless till (`autonome till --headless`, a real
process) to the real store server on loopback and its simulated kitchen and bar
printers: the lines no printer takes are named and the others still go; a second
Send sends only the new lines; a reprint is marked COPIE; a store that wants a
table or a name on every order gets one."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from appliance.processes import ServerProcess, TillProcess, autonome

pytestmark = pytest.mark.timeout(240)

SANDWICH = "A079"  # Jambon-beurre: category sandwichs, no kitchen or bar printer
COFFEE = "A112"  # Café crème: boissons-chaudes, the bar's
DISH = "A104"  # Plat du jour: cuisine, the kitchen's


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
    data = tmp_path_factory.mktemp("kitchen-store") / "server"
    data.mkdir()
    opts = []
    for pid, p in printers.items():
        opts += ["--printer", f"{pid}={p.tcp.address}"]
    autonome("server", "init", "--data", str(data), "--demo", *opts, timeout=300)
    return data


def _shop(tmp_path: Path, template: Path, *store: str):
    data = tmp_path / "server"
    shutil.copytree(template, data)
    if store:
        autonome("server", "store", "--data", str(data), *store)
    autonome("snapshot", "build", "--data", str(data))
    server = ServerProcess(data, mdns=False).start()
    till = TillProcess(tmp_path / "till", "till K")
    till.enroll(server.enrolment_code("till K"), server.url)
    till.start(server.url)
    till.wait_event("mode", mode="ONLINE", timeout=30)
    till.send("login", cashier="c1", pin="1234")
    till.wait_event("logged_in")
    return server, till


@pytest.fixture
def shop(tmp_path, template):
    made: list = []

    def make(*store: str):
        made.extend(_shop(tmp_path, template, *store))
        return made[0], made[1]

    yield make
    if made:
        made[1].kill()
        made[0].stop()


def _tickets(printer, count: int, timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(printer.receipts_text()) < count:
        assert time.monotonic() < deadline, printer.receipts_text()
        time.sleep(0.1)
    return printer.receipts_text()


def _add(till: TillProcess, article: str) -> None:
    till.send("add", article_id=article)
    till.wait_event("line_added")


def test_lines_without_a_printer_are_named_and_the_others_still_go(shop, printers):
    server, till = shop()
    bar = printers["bar"]
    before = len(bar.receipts_text())
    _add(till, SANDWICH)
    _add(till, COFFEE)
    till.send("kitchen", table="5")
    sent = till.wait_event("kitchen_sent", timeout=20)
    assert [ln["name"] for ln in sent["not_sent"]] == ["Jambon-beurre"]
    ticket = _tickets(bar, before + 1)[-1]
    assert "1 x Café crème" in ticket and "Jambon" not in ticket and "Table 5" in ticket
    job = server.api("GET", f"/api/v1/print-jobs/{sent['job_id']}").json()
    assert job["printers"] == ["bar"]
    # the sandwich is not marked sent: asked again, it is named again and nothing goes
    assert [ln["kitchen_sent"] for ln in sent["sale"]["lines"]] == [0, 1]
    till.send("kitchen", table="5")
    err = till.wait_event("error", timeout=20)
    assert err["code"] == "no_printer_for_lines" and "Jambon-beurre" in err["message"]
    assert [ln["name"] for ln in err["lines"]] == ["Jambon-beurre"]
    time.sleep(1)
    assert len(bar.receipts_text()) == before + 1


def test_a_second_send_sends_only_the_new_lines_and_a_reprint_says_copie(shop, printers):
    server, till = shop()
    bar, kitchen = printers["bar"], printers["cuisine"]
    bar_before, kitchen_before = len(bar.receipts_text()), len(kitchen.receipts_text())
    till.send("add", article_id=COFFEE, quantity=2)
    till.wait_event("line_added")
    till.send("kitchen", table="8")
    till.wait_event("kitchen_sent", timeout=20)
    assert "2 x Café crème" in _tickets(bar, bar_before + 1)[-1]
    till.send("kitchen", table="8")  # touched again by mistake
    assert till.wait_event("error", timeout=20)["code"] == "already_sent"
    _add(till, DISH)
    till.send("qty", line=0, quantity=3)
    till.wait_event("sale_updated")
    till.send("kitchen", table="8")
    second = till.wait_event("kitchen_sent", timeout=20)
    assert [ln["kitchen_sent"] for ln in second["sale"]["lines"]] == [3, 1]
    assert "1 x Plat du jour" in _tickets(kitchen, kitchen_before + 1)[-1]
    again = _tickets(bar, bar_before + 2)[-1]
    assert "1 x Café crème" in again and "COPIE" not in again
    time.sleep(1)
    assert len(bar.receipts_text()) == bar_before + 2
    # everything the kitchen has, again, on purpose: marked COPIE on both stations
    till.send("kitchen", table="8", reprint=True)
    copy = till.wait_event("kitchen_sent", timeout=20)
    assert copy["reprint"] is True
    bar_copy = _tickets(bar, bar_before + 3)[-1]
    kitchen_copy = _tickets(kitchen, kitchen_before + 2)[-1]
    assert "COPIE" in bar_copy and "3 x Café crème" in bar_copy
    assert "COPIE" in kitchen_copy and "1 x Plat du jour" in kitchen_copy
    assert [ln["kitchen_sent"] for ln in copy["sale"]["lines"]] == [3, 1]


def test_a_store_that_wants_a_table_or_a_name_gets_one(shop, printers):
    _server, till = shop("--kitchen-order", "table_or_name")
    bar = printers["bar"]
    before = len(bar.receipts_text())
    _add(till, COFFEE)
    till.send("kitchen")
    assert till.wait_event("error", timeout=20)["code"] == "table_or_name_needed"
    till.send("kitchen", name="Dupont")
    till.wait_event("kitchen_sent", timeout=20)
    ticket = _tickets(bar, before + 1)[-1]
    assert "Pour : Dupont" in ticket and "Sans table" not in ticket
