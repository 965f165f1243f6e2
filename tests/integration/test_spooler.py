"""The kitchen and bar spooler: a real server process, real simulated TCP 9100 printers.

Each test has its own server (a copy of one initialised data folder) whose
two printers, Cuisine (kitchen, backup Bar) and Bar (no backup), are
`SimPrinter`s on loopback. A till enrolled over the API posts jobs; the tests
assert on what the printers put on paper (tickets cut, their text), on the
job's state the till reads back, and on the printers' health.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance.processes import ServerProcess, autonome
from drivers.sim import SimPrinter

API = "/api/v1"

#: Short waits so that a test takes seconds; the shop's defaults are in PrintSettings.
FAST = {
    "attempts": 3,
    "backoff_s": 0.2,
    "backoff_max_s": 0.5,
    "connect_s": 1.0,
    "write_s": 2.0,
    "status_s": 0.5,
    "poll_s": 0.2,
    "probe_s": 0.3,
    "idle_probe_s": 0,
    "down_after": 2,
}


def tickets(printer: SimPrinter) -> list[str]:
    """The tickets the printer cut, as text."""
    return printer.receipts_text()


def cuts(printer: SimPrinter) -> int:
    return sum(1 for e in printer.core.events if e["event"] == "cut")


def wait_for(check: Callable[[], Any], timeout: float = 15, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.05)


class Shop:
    """A server with two simulated printers and one enrolled till."""

    def __init__(self, server: ServerProcess, cuisine: SimPrinter, bar: SimPrinter) -> None:
        self.server, self.cuisine, self.bar = server, cuisine, bar
        self.http: httpx.Client | None = None
        self.till_id = 0

    def enrol(self) -> None:
        r = self.server.api("POST", f"{API}/enrolment-codes", json={"name": "Caisse 2"})
        assert r.status_code == 201, r.text
        r = httpx.post(
            f"{self.server.url}{API}/enroll",
            json={"code": r.json()["code"], "name": "Caisse 2"},
            verify=self.server.tls(),
        )
        assert r.status_code == 200, r.text
        self.till_id = r.json()["till_id"]
        self.connect(r.json()["token"])

    def connect(self, token: str) -> None:
        self.token = token
        self.hang_up()
        self.http = httpx.Client(
            base_url=self.server.url + API,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            verify=self.server.tls(),
        )

    def job(self, lines: list[dict], **kw: Any) -> dict:
        return {
            "job_id": str(uuid.uuid4()),
            "till_id": self.till_id,
            "table": 12,
            "covers": 4,
            "note": "",
            "lines": lines,
            **kw,
        }

    def post(self, job: dict) -> dict:
        assert self.http is not None
        r = self.http.post("/print-jobs", json=job)
        assert r.status_code == 202, r.text
        return r.json()

    def state(self, job_id: str) -> dict:
        assert self.http is not None
        r = self.http.get(f"/print-jobs/{job_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def settled(self, job_id: str, timeout: float = 15) -> dict:
        """The job's state once no ticket of it is waiting any more."""
        return wait_for(
            lambda: (s := self.state(job_id))["status"] != "queued" and s,
            timeout,
            f"job {job_id} to settle",
        )

    def printers(self) -> dict[str, dict]:
        r = self.server.api("GET", f"{API}/printers")
        assert r.status_code == 200, r.text
        return {p["printer_id"]: p for p in r.json()}

    def hang_up(self) -> None:
        """Close the till's keep-alive connection (a server stops at once without one)."""
        if self.http is not None:
            self.http.close()

    def stop(self) -> None:
        self.hang_up()
        self.server.stop()

    def restart(self, env: dict[str, str] | None = None) -> None:
        self.stop()
        self.server.start(env=env)
        self.connect(self.token)

    def log(self) -> str:
        return self.server.log.read_text()


STEAK = {"article_id": "steak", "name": "Steak frites", "quantity": 2, "category": "plats"}
QUICHE = {"article_id": "quiche", "name": "Quiche lorraine", "quantity": 1, "category": "plats"}
BEER = {"article_id": "biere", "name": "Bière pression", "quantity": 3, "category": "boissons"}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("spool-template") / "server"
    autonome("server", "init", "--data", str(data), "--server-id", "test-spool", timeout=300)
    return data


@pytest.fixture
def make_shop(template, tmp_path) -> Iterator[Callable[..., Shop]]:
    made: list[Shop] = []
    sims: list[SimPrinter] = []

    def make(settings: dict | None = None, env: dict[str, str] | None = None) -> Shop:
        data = tmp_path / f"server{len(made) + 1}"
        shutil.copytree(template, data)
        cuisine, bar = SimPrinter(), SimPrinter()
        sims.extend((cuisine, bar))
        ct, bt = cuisine.serve_tcp(), bar.serve_tcp()
        db = sqlite3.connect(data / "server.db")
        with db:
            db.executemany(
                "INSERT INTO printers (id, name, kind, address, categories, backup, direct)"
                " VALUES (?, ?, ?, ?, ?, ?, 0)",
                [
                    ("cuisine", "Cuisine", "kitchen", ct.address, '["plats"]', "bar"),
                    ("bar", "Bar", "bar", bt.address, '["boissons"]', None),
                ],
            )
        db.close()
        server_json = data / "server.json"
        doc = json.loads(server_json.read_text())
        doc["printing"] = {**FAST, **(settings or {})}
        server_json.write_text(json.dumps(doc))
        server = ServerProcess(data, mdns=False).start(env=env)
        shop = Shop(server, cuisine, bar)
        made.append(shop)
        shop.enrol()
        return shop

    yield make
    for shop in made:
        shop.stop()
    for sim in sims:
        sim.close()


def test_lines_go_to_their_printer_with_table_covers_and_notes(make_shop):
    shop = make_shop()
    job = shop.job([STEAK, {**QUICHE, "note": "sans lardons"}, BEER], note="Allergie noix")
    answer = shop.post(job)
    assert answer["printers"] == ["bar", "cuisine"]
    state = shop.settled(job["job_id"])
    assert state["status"] == "printed" and state["message"] == ""
    assert {d["printer_id"]: d["state"] for d in state["deliveries"]} == {
        "bar": "printed",
        "cuisine": "printed",
    }
    [kitchen] = tickets(shop.cuisine)
    [bar] = tickets(shop.bar)
    lines = [line.strip() for line in kitchen.splitlines()]
    assert lines[:2] == ["Cuisine", "Table 12"]
    assert "Couverts : 4" in lines and "Note : Allergie noix" in lines
    assert "2 x Steak frites" in lines and "1 x Quiche lorraine" in lines
    assert "> sans lardons" in lines
    assert "Bière" not in kitchen
    assert kitchen.splitlines()[3].startswith("Caisse 2")
    assert "3 x Bière pression" in bar and "Steak" not in bar and "Table 12" in bar


def test_the_same_job_twice_prints_once(make_shop):
    shop = make_shop()
    job = shop.job([STEAK, BEER])
    first = shop.post(job)
    again = shop.post(job)  # the till did not get the answer and sends it again
    assert again["job_id"] == first["job_id"]
    shop.settled(job["job_id"])
    assert shop.post(job)["status"] == "printed"  # and once more, after it printed
    time.sleep(1.0)  # several polls of the workers' queues
    assert (cuts(shop.cuisine), cuts(shop.bar)) == (1, 1)
    other = {**job, "note": "autre chose"}
    r = shop.http.post("/print-jobs", json=other)
    assert r.status_code == 409 and r.json()["error"] == "job_conflict"
    assert (cuts(shop.cuisine), cuts(shop.bar)) == (1, 1)


def test_refused_then_printed_once_on_retry(make_shop):
    shop = make_shop({"attempts": 6, "backoff_s": 0.3, "backoff_max_s": 0.6})
    shop.cuisine.tcp.refuse()
    job = shop.job([STEAK])
    shop.post(job)
    waiting = wait_for(
        lambda: (s := shop.state(job["job_id"]))["deliveries"][0]["attempts"] >= 1 and s,
        what="a first attempt",
    )
    assert waiting["status"] == "queued"
    assert waiting["deliveries"][0]["last_error"] == "printer_unreachable"
    assert "kitchen printer Cuisine is not answering: trying again" in waiting["message"]
    shop.cuisine.tcp.listen()
    state = shop.settled(job["job_id"])
    assert state["status"] == "printed"
    assert state["deliveries"][0]["sent_to"] == "cuisine"
    time.sleep(1.0)
    assert cuts(shop.cuisine) == 1 and cuts(shop.bar) == 0
    assert "2 x Steak frites" in tickets(shop.cuisine)[0]


def test_dead_kitchen_printer_goes_to_the_bar_and_is_reported(make_shop, tmp_path):
    shop = make_shop()
    shop.cuisine.tcp.refuse()
    job = shop.job([STEAK, BEER])
    shop.post(job)
    state = shop.settled(job["job_id"])
    assert state["status"] == "printed"
    kitchen = next(d for d in state["deliveries"] if d["printer_id"] == "cuisine")
    assert (kitchen["state"], kitchen["sent_to"]) == ("printed", "bar")
    assert kitchen["message"] == (
        "kitchen printer Cuisine is not answering: the ticket went to Bar (backup)"
    )
    assert kitchen["message"] in state["message"]
    # the bar printed its own ticket and the kitchen's, the kitchen's saying so
    assert cuts(shop.cuisine) == 0 and cuts(shop.bar) == 2
    both = tickets(shop.bar)
    assert any(t.lstrip().startswith("Cuisine") and "2 x Steak frites" in t for t in both)
    # the dead printer is reported: API, CLI, log (once)
    cuisine = shop.printers()["cuisine"]
    assert cuisine["state"] == "down" and cuisine["last_error"] == "printer_unreachable"
    assert cuisine["message"].startswith("kitchen printer Cuisine is not answering since")
    assert shop.printers()["bar"]["state"] == "ok"
    out = autonome("server", "printers", "--data", str(shop.server.data))
    assert "cuisine" in out and "down since" in out and "printer_unreachable" in out
    time.sleep(1.5)  # probes keep failing meanwhile (every 0.3 s)
    assert shop.log().count("printer_down: kitchen printer Cuisine") == 1
    # the next ticket goes to the bar after one attempt only
    second = shop.job([QUICHE])
    shop.post(second)
    started = time.monotonic()
    assert shop.settled(second["job_id"])["deliveries"][0]["sent_to"] == "bar"
    assert time.monotonic() - started < 3
    # the printer comes back: found by the probe, said once
    shop.cuisine.tcp.listen()
    wait_for(lambda: shop.printers()["cuisine"]["state"] == "ok", what="cuisine back")
    time.sleep(0.5)
    assert shop.log().count("printer_back: kitchen printer Cuisine") == 1
    third = shop.job([QUICHE])
    shop.post(third)
    assert shop.settled(third["job_id"])["deliveries"][0]["sent_to"] == "cuisine"
    assert cuts(shop.cuisine) == 1


def test_no_backup_nothing_printed_tell_the_bar(make_shop):
    shop = make_shop()
    shop.bar.tcp.refuse()
    job = shop.job([BEER, STEAK])
    shop.post(job)
    state = shop.settled(job["job_id"])
    assert state["status"] == "failed"
    bar = next(d for d in state["deliveries"] if d["printer_id"] == "bar")
    assert bar["state"] == "failed" and bar["attempts"] == FAST["attempts"]
    assert bar["message"] == "bar printer Bar is not answering: nothing printed, tell the bar"
    assert cuts(shop.cuisine) == 1  # the kitchen's ticket is not held up
    assert shop.printers()["bar"]["state"] == "down"


def test_reset_mid_ticket_is_uncertain_never_resent_and_a_copy_is_marked(make_shop):
    shop = make_shop()
    shop.cuisine.tcp.reset_after(9 + 60)  # the status question, then part of the ticket
    job = shop.job([STEAK, QUICHE], table="T4")
    shop.post(job)
    state = shop.settled(job["job_id"])
    assert state["status"] == "uncertain"
    [d] = state["deliveries"]
    assert (d["state"], d["sent_to"], d["attempts"]) == ("uncertain", "cuisine", 1)
    assert "may be incomplete or missing" in d["message"] and "reprint a copy" in d["message"]
    time.sleep(1.5)  # many polls later: not sent again, not sent to the backup
    assert shop.state(job["job_id"])["deliveries"] == state["deliveries"]
    assert cuts(shop.cuisine) == 0 and cuts(shop.bar) == 0
    assert shop.cuisine.core.received < 9 + 300  # one partial ticket, nothing more
    assert "ticket_uncertain" in shop.log()
    # the cashier checks the pass and asks for a copy (here from the shell)
    out = autonome(
        "server", "print-jobs", "--data", str(shop.server.data), "--reprint", job["job_id"]
    )
    assert "copy 1" in out
    copy = wait_for(
        lambda: (s := shop.state(job["job_id"]))["status"] == "printed" and s, what="the copy"
    )
    assert [d["copy"] for d in copy["deliveries"]] == [0, 1]
    assert copy["deliveries"][0]["state"] == "uncertain"  # history kept
    [paper] = tickets(shop.cuisine)  # what the broken ticket printed, then the copy
    lines = [line.strip() for line in paper.splitlines()]
    copy_at = lines.index("COPIE")
    assert lines[copy_at + 1 : copy_at + 3] == ["Cuisine", "Table T4"]
    assert "2 x Steak frites" in lines[copy_at:] and "1 x Quiche lorraine" in lines[copy_at:]
    time.sleep(1.0)
    assert cuts(shop.cuisine) == 1


def test_reprint_over_the_api_is_the_tills_own(make_shop):
    shop = make_shop()
    job = shop.job([BEER])
    shop.post(job)
    shop.settled(job["job_id"])
    r = shop.http.post(f"/print-jobs/{job['job_id']}/reprint", json={"printer_id": "cuisine"})
    assert r.status_code == 404 and r.json()["error"] == "unknown_printer"
    r = shop.http.post(f"/print-jobs/{job['job_id']}/reprint")
    assert r.status_code == 202, r.text
    wait_for(lambda: cuts(shop.bar) == 2, what="the copy")
    assert tickets(shop.bar)[1].splitlines()[0].strip() == "COPIE"
    r = shop.http.get(f"/print-jobs/{uuid.uuid4()}")
    assert r.status_code == 404 and r.json()["error"] == "unknown_job"


def test_a_stalled_printer_does_not_hold_up_the_other(make_shop):
    shop = make_shop({"write_s": 3.0, "status_s": 1.0, "attempts": 3, "backoff_s": 0.5})
    shop.cuisine.tcp.stall()
    job = shop.job([STEAK, BEER])
    started = time.monotonic()
    shop.post(job)
    wait_for(lambda: cuts(shop.bar) == 1, timeout=5, what="the bar's ticket")
    assert time.monotonic() - started < 2.5
    state = shop.state(job["job_id"])
    kitchen = next(d for d in state["deliveries"] if d["printer_id"] == "cuisine")
    assert kitchen["state"] == "queued" and state["status"] == "queued"
    # the stalled kitchen printer's ticket ends on the bar's, after its bounded tries
    state = shop.settled(job["job_id"], timeout=20)
    kitchen = next(d for d in state["deliveries"] if d["printer_id"] == "cuisine")
    assert (kitchen["state"], kitchen["sent_to"]) == ("printed", "bar")
    assert kitchen["last_error"] is None and kitchen["primary_error"] == "printer_not_answering"
    assert cuts(shop.bar) == 2 and cuts(shop.cuisine) == 0


def test_a_queued_ticket_prints_once_after_a_restart(make_shop):
    shop = make_shop({"attempts": 1000, "backoff_s": 0.2, "backoff_max_s": 0.2})
    shop.cuisine.tcp.refuse()
    job = shop.job([STEAK])
    shop.post(job)
    wait_for(lambda: shop.state(job["job_id"])["deliveries"][0]["attempts"] >= 2)
    shop.server.kill()  # a power cut
    rows = sqlite3.connect(shop.server.data / "server.db").execute(
        "SELECT state FROM print_deliveries WHERE job_id = ?", (job["job_id"],)
    )
    assert [r[0] for r in rows] == ["queued"]
    shop.cuisine.tcp.listen()
    shop.server.start()
    shop.connect(shop.token)
    assert shop.settled(job["job_id"])["status"] == "printed"
    time.sleep(1.0)
    shop.restart()  # and once more: nothing is sent again
    time.sleep(1.0)
    assert cuts(shop.cuisine) == 1 and cuts(shop.bar) == 0


@pytest.mark.parametrize("crash_at, on_paper", [("print_sending", 0), ("print_sent", 1)])
def test_a_ticket_being_sent_at_a_crash_comes_back_uncertain(make_shop, crash_at, on_paper):
    shop = make_shop(env={"AUTONOME_CRASH_AT": crash_at})
    job = shop.job([STEAK])
    shop.post(job)
    proc = shop.server.proc
    assert proc is not None
    proc.wait(15)  # killed itself at the crash point, SIGKILL
    rows = sqlite3.connect(shop.server.data / "server.db").execute(
        "SELECT state FROM print_deliveries WHERE job_id = ?", (job["job_id"],)
    )
    assert [r[0] for r in rows] == ["sending"]
    shop.server.start()
    shop.connect(shop.token)
    state = shop.state(job["job_id"])
    assert state["status"] == "uncertain"
    [d] = state["deliveries"]
    assert (d["state"], d["last_error"]) == ("uncertain", "server_stopped")
    assert "the server stopped while it was being sent" in d["message"]
    time.sleep(1.5)
    assert cuts(shop.cuisine) == on_paper and cuts(shop.bar) == 0
    assert "was being sent when the server stopped" in shop.log()
