"""X and Z reports over HTTP and on the command line, on a fresh server."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest

from appliance.processes import ServerProcess, autonome
from appliance.server.samples import SaleMaker

API = "/api/v1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = ServerProcess(tmp_path_factory.mktemp("reports") / "server", mdns=False)
    s.init("--demo", "--server-id", "test-reports")
    s.start()
    yield s
    s.stop()


def _till(server: ServerProcess, name: str) -> tuple[int, httpx.Client]:
    code = server.api("POST", f"{API}/enrolment-codes", json={"name": name}).json()["code"]
    body = httpx.post(
        f"{server.url}{API}/enroll", json={"code": code, "name": name}, verify=server.tls()
    ).json()
    client = httpx.Client(
        base_url=server.url + API,
        headers={"Authorization": f"Bearer {body['token']}"},
        verify=server.tls(),
    )
    return body["till_id"], client


def test_a_new_store_opens_with_a_first_snapshot(server):
    # so a till enrolled on day one can log a cashier in and sell alone
    _, till = _till(server, "early")
    r = till.get("/snapshot")
    assert r.status_code == 200 and r.json()["version"] == 1
    assert (
        httpx.get(f"{server.url}{API}/health", verify=server.tls()).json()["snapshot"]["version"]
        == 1
    )


def test_x_and_z_reports(server):
    noon = datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0)
    t1, c1 = _till(server, "caisse 1")
    t2, c2 = _till(server, "caisse 2")
    m1, m2 = SaleMaker(t1), SaleMaker(t2)
    sales1 = [
        m1.sale([("A001", "Baguette", 110, 3, 550)], [("card", 330)], closed_at=noon),
        m1.sale([("A117", "Café crème", 280, 2, 1000)], [("cash", 1000)], closed_at=noon),
    ]
    sales2 = [
        m2.sale(
            [("A144", "Verre de vin rouge", 450, 1, 2000), ("A114", "Expresso", 150, 2, 1000)],
            [("cheque", 500), ("cash", 500)],
            closed_at=noon,
        )
    ]
    assert c1.post(f"/tills/{t1}/outbox", json={"records": sales1}).json()["contiguous_seq"] == 2
    for rec in sales2:
        assert c2.put(f"/sales/{rec['sale_id']}", json=rec).status_code == 201
    # by hand: till 1: 3.30 card + 5.60 (cash 10.00, change 4.40); till 2: 7.50 (cheque 5, cash 5,
    # change 2.50). VAT 5.5 %: 330 -> 17.2 -> 17; 10 %: 560 -> 50.9 -> 51 and 300 -> 27.3 -> 27;
    # 20 %: 450 -> 75.
    x = server.api("GET", f"{API}/reports/x").json()
    assert (x["sales"], x["total"]) == (3, 1640)
    assert [(t["till_id"], t["sales"], t["total"]) for t in x["tills"]] == [
        (t1, 2, 890), (t2, 1, 750)
    ]  # fmt: skip
    assert {p["method"]: p["amount"] for p in x["payments"]} == {
        "card": 330, "cash": 560 + 250, "cheque": 500
    }  # fmt: skip
    assert [(v["vat_bp"], v["gross"], v["vat"], v["net"]) for v in x["vat"]] == [
        (2000, 450, 75, 375), (1000, 860, 78, 782), (550, 330, 17, 313)
    ]  # fmt: skip
    z = server.api("POST", f"{API}/reports/z", json={"day": x["day"]})
    assert z.status_code == 201
    assert z.json()["number"] == 1 and z.json()["total"] == 1640
    again = server.api("POST", f"{API}/reports/z", json={"day": x["day"]})
    assert again.status_code == 200 and again.json()["number"] == 1
    assert again.json()["vat"] == z.json()["vat"]
    cli_x = json.loads(autonome("server", "report", "x", "--data", str(server.data), "--json"))
    assert (cli_x["total"], cli_x["payments"]) == (x["total"], x["payments"])
    text = autonome("server", "report", "z", "--data", str(server.data), "--day", x["day"])
    assert "Z report no. 1" in text and "16,40 €" in text
    r = server.api("POST", f"{API}/reports/z", json={"day": "2999-01-01"})
    assert (r.status_code, r.json()["error"]) == (422, "bad_day")
