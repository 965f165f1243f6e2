"""The open tables on the store server, a real process on loopback: one holder each,
take-over, the bill being paid, a table closed twice, lines rung up alone, the floor
plan in the snapshot."""

from __future__ import annotations

import json

import httpx
import pytest
from tinydb import TinyDB

from appliance.demo_printers import NO_PRINTERS
from appliance.domain.tables import Tab
from appliance.processes import ServerProcess, autonome

API = "/api/v1"
BEER = {"article_id": "beer", "name": "Bière", "price": 550, "vat_bp": 2000, "category": "bar"}
PLAN = {
    "rooms": [{"room_id": "salle", "name": "Salle"}],
    "tables": [
        {"table_id": "T1", "name": "1", "room_id": "salle", "shape": "round", "x": 5, "y": 5},
        {"table_id": "T2", "name": "2", "room_id": "salle", "x": 30, "y": 5},
    ],
    "modifiers": [{"modifier_id": "cheese", "kind": "extra", "name": "Fromage", "price": 150}],
}


class Till:
    def __init__(self, server: ServerProcess, name: str) -> None:
        r = server.api("POST", f"{API}/enrolment-codes", json={"name": name})
        code = r.json()["code"]
        r = httpx.post(
            f"{server.url}{API}/enroll", json={"code": code, "name": name}, verify=server.tls()
        )
        body = r.json()
        self.till_id = body["till_id"]
        self.http = httpx.Client(
            base_url=server.url + API,
            headers={"Authorization": f"Bearer {body['token']}"},
            timeout=30,
            verify=server.tls(),
        )

    def put(self, tab: Tab) -> httpx.Response:
        return self.http.put(f"/tables/{tab.table_id}", json=tab.as_dict())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("tables") / "server"
    s = ServerProcess(data, mdns=False)
    s.init("--demo", *NO_PRINTERS, "--server-id", "test-tables")
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def tills(server):
    return Till(server, "salle-1"), Till(server, "salle-2")


def _open(till: Till, table_id: str) -> Tab:
    tab = Tab.open(table_id, 2, "2026-12-03T12:00:00+00:00")
    tab.add(BEER, 2)
    r = till.put(tab)
    assert r.status_code == 200, r.text
    assert r.json()["holder"] == till.till_id and r.json()["version"] == 1
    return tab


def test_one_holder_a_take_over_and_the_first_told(tills):
    a, b = tills
    tab = _open(a, "T1")
    listed = {t["table_id"]: t for t in a.http.get("/tables").json()["tables"]}
    assert listed["T1"]["holder"] == a.till_id and listed["T1"]["total"] == 1100
    # b opens the same table for other guests: refused, it is occupied
    other = Tab.open("T1", 4, "2026-12-03T12:01:00+00:00")
    other.add(BEER)
    r = b.put(other)
    assert r.status_code == 409 and r.json()["error"] == "table_occupied"
    assert f"till {a.till_id}" in r.json()["message"]
    # b writes a's table without holding it: refused
    r = b.put(tab)
    assert r.status_code == 409 and r.json()["error"] == "table_taken_over"
    r = b.http.post("/tables/T1/take")
    assert r.status_code == 200 and r.json()["holder"] == b.till_id
    assert Tab.from_dict(r.json()["tab"]) == tab
    # a, which added a round meanwhile, is told and its lines are not lost
    tab.add(BEER, 3)
    r = a.put(tab)
    assert r.status_code == 409 and r.json()["error"] == "table_taken_over"
    assert r.json()["holder"] == b.till_id
    r = a.http.post("/tables/T1/lines", json=tab.as_dict())
    assert r.status_code == 200 and r.json()["added"] == 1
    r = a.http.post("/tables/T1/lines", json=tab.as_dict())  # again: each line once
    assert r.json()["added"] == 0
    held = Tab.from_dict(b.http.get("/tables/T1").json()["tab"])
    assert [ln.quantity for ln in held.lines] == [2, 3]


def test_a_table_being_paid_is_not_taken_over(tills):
    a, b = tills
    _open(a, "T2")
    r = a.http.post("/tables/T2/paying", json={"on": True})
    assert r.status_code == 200 and r.json()["paying"] == a.till_id
    r = b.http.post("/tables/T2/take")
    assert r.status_code == 409 and r.json()["error"] == "table_paying"
    assert "being paid" in r.json()["message"]
    assert b.http.post("/tables/T2/paying", json={"on": True}).status_code == 409
    assert b.http.post("/tables/T2/paying", json={"on": "yes"}).status_code == 422
    a.http.post("/tables/T2/paying", json={"on": False})
    assert b.http.post("/tables/T2/take").status_code == 200
    a.http.post("/tables/T2/take")  # back to a for the next test


def test_a_table_closed_twice_is_refused_and_nothing_changes(tills):
    a, b = tills
    tab = Tab.from_dict(a.http.get("/tables/T2").json()["tab"])
    ids = [ln.line_id for ln in tab.lines]
    tab.paid_with({"sale_id": "s-1", "table": {"opening": tab.opening, "line_ids": ids}})
    assert tab.closed
    r = a.put(tab)
    assert r.status_code == 200 and r.json()["closed"] is True
    assert "T2" not in {t["table_id"] for t in a.http.get("/tables").json()["tables"]}
    r = a.put(tab)
    assert r.status_code == 409 and r.json()["error"] == "table_closed"
    assert "already closed" in r.json()["message"]
    r = a.http.post("/tables/T2/lines", json=tab.as_dict())
    assert r.status_code == 409 and r.json()["error"] == "table_closed"
    # the table is free again for new guests
    _open(b, "T2")


def test_bad_tables_are_refused(tills, server):
    a, _ = tills
    assert a.http.put("/tables/T9", json={"table_id": "T9"}).status_code == 422
    assert a.http.put("/tables/T9", json=[1]).status_code == 422
    tab = Tab.open("T8", 2, "x")
    assert a.http.put("/tables/T9", json=tab.as_dict()).json()["error"] == "table_id_mismatch"
    assert a.http.post("/tables/nope/take").json()["error"] == "table_not_open"
    assert a.http.put("/floor-plan", json=PLAN).status_code == 403  # a till is no admin


def test_the_floor_plan_goes_into_the_snapshot(server, tmp_path):
    r = server.api("PUT", f"{API}/floor-plan", json={"rooms": [], "tables": [{"table_id": "x"}]})
    assert r.status_code == 422 and r.json()["error"] == "bad_floor_plan"
    r = server.api("PUT", f"{API}/floor-plan", json=PLAN)
    assert r.status_code == 200, r.text
    built = json.loads(autonome("snapshot", "build", "--data", str(server.data), "--json"))
    r = Till(server, "reader").http.get(f"/snapshot/{built['version']}")
    path = tmp_path / "snapshot.json"
    path.write_bytes(r.content)
    with TinyDB(path, access_mode="r") as db:
        row = db.table("meta").all()[0]
    assert [t["table_id"] for t in row["floor_plan"]["tables"]] == ["T1", "T2"]
    assert row["floor_plan"]["modifiers"][0]["price"] == 150
    assert row["floor_plan"]["rooms"] == [{"room_id": "salle", "name": "Salle", "position": 0}]


def test_a_line_paid_on_the_till_that_was_alone_is_paid_there_too(tills):
    """A pays a line while cut off, B took the table over: the line shows paid on B;
    a line both charged is reported as doubled."""
    a, b = tills
    tab = Tab.open("T7", 2, "2026-12-03T12:00:00+00:00")
    tab.add(BEER)
    tab.add(BEER)
    assert a.put(tab).status_code == 200
    assert b.http.post("/tables/T7/take").status_code == 200
    held = Tab.from_dict(b.http.get("/tables/T7").json()["tab"])
    second = held.lines[1].line_id
    held.paid_with({"sale_id": "sale-b", "table": {"opening": held.opening, "line_ids": [second]}})
    assert b.put(held).status_code == 200
    ids = [ln.line_id for ln in tab.lines]
    tab.paid_with({"sale_id": "sale-a", "table": {"opening": tab.opening, "line_ids": ids}})
    r = a.http.post("/tables/T7/lines", json=tab.as_dict())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] == 0 and body["closed"] is True  # every line is paid now
    assert body["doubled"] == [{"line_id": second, "sales": ["sale-b", "sale-a"]}]
    assert a.http.get("/tables/T7").json()["error"] == "table_not_open"
