"""The back office on a real server process over HTTPS: who gets in, what a write
needs, and the delta feed its changes make (signed, numbered, long-polled)."""

from __future__ import annotations

import threading
import time
from datetime import date

import httpx
import orjson
import pytest
from fastapi.routing import APIRoute

from appliance.processes import ServerProcess, autonome
from appliance.protocol.signing import verify
from appliance.server.backoffice import pages_articles, pages_ops, pages_people
from testbed.office import Office, csrf_of

API = "/api/v1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("office") / "server"
    s = ServerProcess(data, mdns=False)
    s.init("--demo", "--server-id", "test-office")
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def till(server):
    code = server.enrolment_code("office till")
    r = httpx.post(f"{server.url}{API}/enroll", json={"code": code}, verify=server.tls())
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def office(server):
    o = Office(server)
    assert o.login().status_code == 303
    yield o
    o.close()


def _routes(method: str) -> list[str]:
    fill = {"{article_id}": "D01", "{till_id}": "1", "{day}": date.today().isoformat(),
            "{kind}": "x", "{lang}": "fr"}  # fmt: skip
    out = []
    for module in (pages_articles, pages_people, pages_ops):
        for route in module.router.routes:
            if isinstance(route, APIRoute) and method in route.methods:
                path = "/admin" + route.path
                for k, v in fill.items():
                    path = path.replace(k, v)
                out.append(path)
    return out


PUBLIC = {"/admin/login", "/admin/lang/fr"}  # the login form, and a language preference
GETS = [p for p in _routes("GET") if p not in PUBLIC] + [
    "/admin/api/articles",
    "/admin/api/articles/D01",
    "/admin/api/tills",
]
POSTS = [p for p in _routes("POST") if p != "/admin/login"]


def test_every_page_and_route_is_listed():
    assert {"/admin/articles", f"/admin/reports/x/{date.today().isoformat()}.csv"} <= set(GETS)
    writes = {"/admin/articles/new", "/admin/import", "/admin/cashiers", "/admin/reports/z",
              "/admin/tills/1/revoke", "/admin/printers/reprint", "/admin/logout"}  # fmt: skip
    assert writes <= set(POSTS)


@pytest.mark.parametrize("path", GETS)
def test_no_page_without_a_session(server, till, path):
    """Nothing without the session cookie: no cookie, a made-up one, a till's token or
    the admin token are all sent to the login page (JSON routes: 401)."""
    tries = [
        {},
        {"Cookie": "autonome_admin=made-up"},
        {"Authorization": f"Bearer {till['token']}"},
        {"Authorization": f"Bearer {server.admin_token()}"},
    ]
    for headers in tries:
        r = httpx.get(server.url + path, headers=headers, verify=server.tls())
        if path.startswith("/admin/api/"):
            assert r.status_code == 401, (path, headers, r.status_code)
            assert r.json()["error"] == "login_needed"
        else:
            assert r.status_code == 303, (path, headers, r.status_code)
            assert r.headers["location"] == "/admin/login"
        assert "Baguette" not in r.text


@pytest.mark.parametrize("path", POSTS)
def test_no_write_without_its_csrf_token(server, office, till, path):
    before = office.http.get("/admin/api/articles").json()["total"]
    form = {"name": "Intrus", "price": "1,00", "vat_bp": "2000", "barcodes": "3760000000994",
            "cashier_id": "zz", "pin": "1234", "action": "create", "role": "manager",
            "job_id": "j", "day": date.today().isoformat()}  # fmt: skip
    for extra in ({}, {"csrf": "wrong"}, {"csrf": ""}):
        r = office.http.post(server.url + path, data={**form, **extra})
        assert r.status_code == 403, (path, extra, r.status_code)
    # the same with a till's token and no session at all: to the login page
    r = httpx.post(server.url + path, data={**form, "csrf": office.csrf}, verify=server.tls(),
                   headers={"Authorization": f"Bearer {till['token']}"})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    assert office.http.get("/admin/api/articles").json()["total"] == before
    assert "<td>zz</td>" not in office.http.get("/admin/cashiers").text
    assert office.http.get("/admin/articles").status_code == 200  # still logged in


def test_the_session_cookie(server):
    o = Office(server)
    r = o.login()
    cookie = r.headers["set-cookie"].lower()
    for flag in ("httponly", "secure", "samesite=strict", "path=/admin"):
        assert flag in cookie
    assert "Content-Security-Policy" in o.http.get("/admin/articles").headers
    r = o.post("/admin/logout", {})
    assert r.status_code == 303
    assert o.http.get("/admin/articles").headers["location"] == "/admin/login"


def test_five_wrong_pins_lock_the_manager(server):
    o = Office(server)
    for _ in range(4):
        assert o.login("m1-locktest", "0000").status_code == 401
    r = o.login("m1-locktest", "0000")
    assert r.status_code == 429 and "Too many wrong attempts" in r.text


def test_a_cashier_is_no_manager_and_a_disabled_manager_is_out(server, office):
    assert Office(server).login("c1", "1234").status_code == 401
    new = {"action": "create", "cashier_id": "m9", "name": "Remplaçante", "role": "manager",
           "pin": "4321"}  # fmt: skip
    assert office.post("/admin/cashiers", new).status_code == 303
    other = Office(server)
    assert other.login("m9", "4321").status_code == 303
    assert (
        office.post("/admin/cashiers", {"action": "disable", "cashier_id": "m9"}).status_code == 303
    )
    assert Office(server).login("m9", "4321").status_code == 401
    # a password set: the PIN no longer opens the back office
    assert (
        office.post("/admin/cashiers", {"action": "enable", "cashier_id": "m9"}).status_code == 303
    )
    r = office.post("/admin/cashiers", {"action": "password", "cashier_id": "m9",
                                        "password": "long enough pw"})  # fmt: skip
    assert r.status_code == 303
    assert Office(server).login("m9", "4321").status_code == 401
    assert Office(server).login("m9", "long enough pw").status_code == 303


def _feed(server, token, after, wait=0.0):
    return httpx.get(f"{server.url}{API}/deltas", params={"after": after, "wait": wait},
                     headers={"Authorization": f"Bearer {token}"}, verify=server.tls(),
                     timeout=40)  # fmt: skip


def test_an_article_saved_is_a_signed_delta_a_waiting_till_gets_at_once(server, office, till):
    latest = _feed(server, till["token"], 0).json()["latest"]
    got: dict = {}

    def wait() -> None:
        got["answer"] = _feed(server, till["token"], latest, wait=10)
        got["at"] = time.monotonic()

    poll = threading.Thread(target=wait)
    poll.start()
    time.sleep(0.5)
    saved = time.monotonic()
    r = office.save_article(name="Chouquettes x10", price="3,90", vat_bp="550",
                            barcodes="3760000000048", screen_id="1", colour="#ffaa00")  # fmt: skip
    assert r.status_code == 303, r.text
    poll.join(15)
    assert got["at"] - saved < 2.0
    answer = got["answer"].json()
    (delta,) = answer["deltas"]
    assert delta["seq"] == latest + 1 == answer["latest"]
    assert verify(till["signing_key"], delta["body"].encode(), delta["signature"])
    body = orjson.loads(delta["body"])
    article = body["ops"][0]["article"]
    assert (article["name"], article["price"], article["barcodes"]) == (
        "Chouquettes x10", 390, ["3760000000048"])  # fmt: skip
    assert body["ops"][1] == {"op": "button", "article_id": article["article_id"],
                              "screen_id": 1, "position": body["ops"][1]["position"],
                              "label": "Chouquettes x10", "colour": "#ffaa00"}  # fmt: skip
    # it is sold online at once, by its barcode
    r = httpx.get(f"{server.url}{API}/barcodes/3760000000048", verify=server.tls(),
                  headers={"Authorization": f"Bearer {till['token']}"})  # fmt: skip
    assert r.status_code == 200 and r.json()["price"] == 390


def test_an_import_by_the_command_line_is_a_delta_too(server, till, tmp_path):
    latest = _feed(server, till["token"], 0).json()["latest"]
    csv = tmp_path / "a.csv"
    csv.write_text("article_id,name,price,vat,category,barcodes\nCLI1,Pain CLI,1.50,5.5,,\n")
    autonome("server", "import-csv", "--data", str(server.data), str(csv))
    answer = _feed(server, till["token"], latest, wait=5).json()
    assert [orjson.loads(d["body"])["ops"][0]["article"]["name"] for d in answer["deltas"]] == [
        "Pain CLI"
    ]


def test_too_far_behind_or_ahead_take_the_snapshot(server, office, till):
    latest = _feed(server, till["token"], 0).json()["latest"]
    r = _feed(server, till["token"], latest + 5)
    assert r.status_code == 410 and r.json()["error"] == "take_snapshot"
    # tonight's snapshot folds the deltas in; those no kept snapshot lacks are pruned
    for _ in range(3):
        assert server.api("POST", f"{API}/snapshot/build").status_code == 201
    meta = server.api("GET", f"{API}/snapshot").json()
    doc = server.api("GET", f"{API}/snapshot/{meta['version']}").json()
    assert doc["meta"]["1"]["delta_seq"] == latest
    assert any(a["name"] == "Chouquettes x10" for a in doc["articles"].values())
    office.save_article(name="Après la nuit", price="1,00", vat_bp="550")
    r = _feed(server, till["token"], 0)
    assert r.status_code == 410  # delta 1 is gone: the till takes the snapshot
    r = _feed(server, till["token"], latest)
    assert r.status_code == 200 and [d["seq"] for d in r.json()["deltas"]] == [latest + 1]


def test_articles_edited_archived_and_checked(server, office):
    r = office.save_article(name="Éclair", price="2,6", vat_bp="550",
                            barcodes="3760000000055 3760000000056")  # fmt: skip
    assert r.status_code == 422 and "3760000000056: the EAN-13 check digit is wrong" in r.text
    r = office.save_article(name="Éclair", price="abc", vat_bp="1234", barcodes="3760000000055")
    assert r.status_code == 422 and "a price like 1,10" in r.text
    r = office.save_article(name="Éclair", price="2,60", vat_bp="550", barcodes="3760000000055")
    assert r.status_code == 303
    aid = r.headers["location"].rsplit("/", 1)[1]
    page = office.http.get(f"/admin/articles/{aid}").text
    form = {"name": "Éclair café", "price": "2,80", "vat_bp": "1000", "category": "patisserie",
            "barcodes": "3760000000055", "screen_id": "", "colour": "#cccccc"}  # fmt: skip
    assert office.http.post(f"/admin/articles/{aid}", data={**form, "csrf": csrf_of(page)})
    found = office.http.get("/admin/api/articles", params={"q": "3760000000055"}).json()
    assert [(a["name"], a["price"], a["vat_bp"]) for a in found["items"]] == [
        ("Éclair café", 280, 1000)]  # fmt: skip
    assert office.post(f"/admin/articles/{aid}/archive", {}).status_code == 303
    assert office.http.get("/admin/api/articles", params={"q": "Éclair café"}).json()["total"] == 0
    # its barcode is free again
    assert office.save_article(name="Autre", price="1", vat_bp="550",
                               barcodes="3760000000055").status_code == 303  # fmt: skip


def test_csv_import_shows_every_bad_line_and_imports_nothing(server, office):
    before = office.http.get("/admin/api/articles").json()["total"]
    text = ("article_id;name;price;vat;category;barcodes\n"
            "X1;Bon;1,00;5,5;;\nX2;;1,00;5,5;;\nX3;Prix;abc;5,5;;\nX4;TVA;1,00;7;;\n")  # fmt: skip
    r = office.post("/admin/import", {}, files={"file": ("a.csv", text.encode(), "text/csv")})
    assert r.status_code == 422
    assert "Nothing was imported" in r.text
    for line in ('<td class="num">3</td>', '<td class="num">4</td>', '<td class="num">5</td>'):
        assert line in r.text
    assert '<td class="num">2</td>' not in r.text
    assert office.http.get("/admin/api/articles").json()["total"] == before
    good = "article_id,name,price,vat_bp,category,barcodes\nX1,Bon,1.00,550,,3760000000062\n"
    r = office.post("/admin/import", {}, files={"file": ("a.csv", good.encode(), "text/csv")})
    assert r.status_code == 200 and "1 created" in r.text
    export = office.http.get("/admin/articles.csv").text
    assert "X1,Bon,1.00,550,,3760000000062" in export


def test_the_enrolment_code_and_the_tills_page(server, office, till):
    r = office.post("/admin/tills/code", {"name": "caisse 3"})
    assert r.status_code == 200
    assert server.fingerprint() in r.text and "<svg" in r.text
    code = r.text.split('id="code">', 1)[1].split("<", 1)[0]
    enrolled = httpx.post(f"{server.url}{API}/enroll", json={"code": code}, verify=server.tls())
    assert enrolled.status_code == 200
    tid = enrolled.json()["till_id"]
    assert office.post(f"/admin/tills/{tid}/revoke", {}).status_code == 303
    r = _feed(server, enrolled.json()["token"], 0)
    assert r.status_code == 401 and r.json()["error"] == "till_revoked"
    assert "revoked" in office.http.get("/admin/tills").text


def test_the_office_json_routes_fuzzed(server, office):
    """schemathesis over the back office's JSON routes, with a manager's session."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        status_code_conformance,
    )

    from testbed.fuzzing import requests_session

    schema_doc = office.http.get("/admin/api/openapi.json").json()
    schema = schemathesis.openapi.from_dict(schema_doc)
    session: requests.Session = requests_session(server)
    session.cookies.set("autonome_admin", office.http.cookies["autonome_admin"], path="/admin")
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=40, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy())
        def one(case) -> None:
            nonlocal ran
            ran += 1
            response = case.call(base_url=server.url + "/admin", session=session, timeout=30)
            case.validate_response(
                response,
                checks=[not_a_server_error, status_code_conformance, content_type_conformance],
                transport_kwargs={"base_url": server.url + "/admin", "session": session},
            )

        one()
    assert ran >= 60
    assert office.http.get("/admin/articles").status_code == 200


def test_a_manager_sets_the_till_rules_and_a_snapshot_carries_them(server, office):
    page = office.http.get("/admin/rules")
    assert page.status_code == 200 and 'name="discount_percent" inputmode="numeric" value="20"' in (
        page.text
    )
    before = server.api("GET", f"{API}/snapshot").json()["version"]
    bad = office.post("/admin/rules", {"discount_percent": "150", "void_cents": "10,00"})
    assert bad.status_code == 422 and "discount_percent" in bad.text
    assert server.api("GET", f"{API}/till-rules").json()["discount_percent"] == 20
    typed = {"discount_percent": "15", "discount_cents": "", "price_cut_cents": "2,50",
             "void_cents": "10", "cancel_cents": "20,00", "pin_tries": "3", "pin_lock_s": "45",
             "pin_only_login": "on"}  # fmt: skip
    assert office.post("/admin/rules", typed).status_code == 303
    rules = server.api("GET", f"{API}/till-rules").json()
    assert {k: rules[k] for k in ("discount_percent", "discount_cents", "price_cut_cents",
                                  "void_cents", "pin_tries", "pin_lock_s", "pin_only_login",
                                  "card_confirmation")} == {
        "discount_percent": 15, "discount_cents": None, "price_cut_cents": 250,
        "void_cents": 1000, "pin_tries": 3, "pin_lock_s": 45, "pin_only_login": True,
        "card_confirmation": False,
    }  # fmt: skip
    assert server.api("GET", f"{API}/snapshot").json()["version"] > before
