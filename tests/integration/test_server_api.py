"""The store server as a real process on loopback, spoken to over HTTP."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tinydb import TinyDB

from appliance.demo_printers import NO_PRINTERS
from appliance.domain import record_hash
from appliance.processes import ServerProcess, autonome
from appliance.protocol import MAX_BATCH, MAX_BODY
from appliance.protocol.signing import load_private_key, public_key_b64, verify
from appliance.server.samples import SaleMaker

API = "/api/v1"


class Till:
    """An enrolled till, as seen from the wire."""

    def __init__(self, server: ServerProcess, name: str, code: str | None = None) -> None:
        if code is None:
            r = server.api("POST", f"{API}/enrolment-codes", json={"name": name})
            assert r.status_code == 201, r.text
            code = r.json()["code"]
        r = httpx.post(
            f"{server.url}{API}/enroll", json={"code": code, "name": name}, verify=server.tls()
        )
        assert r.status_code == 200, r.text
        body = r.json()
        self.till_id, self.token = body["till_id"], body["token"]
        self.signing_key = body["signing_key"]
        self.http = httpx.Client(
            base_url=server.url + API,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
            verify=server.tls(),
        )
        self.maker = SaleMaker(self.till_id)

    def put(self, record: dict, **kw) -> httpx.Response:
        return self.http.put(f"/sales/{record['sale_id']}", json=record, **kw)

    def upload(self, records: list) -> httpx.Response:
        return self.http.post(f"/tills/{self.till_id}/outbox", json={"records": records})


def _start(tmp_path_factory, name: str) -> ServerProcess:
    data = tmp_path_factory.mktemp(name) / "server"
    server = ServerProcess(data, mdns=False)
    server.init("--demo", *NO_PRINTERS, "--server-id", f"test-{name}")
    return server.start()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = _start(tmp_path_factory, "api")
    yield s
    s.stop()


def _journal(server: ServerProcess, till_id: int) -> list[dict]:
    r = server.api("GET", f"{API}/journal", params={"till_id": till_id})
    assert r.status_code == 200
    return r.json()["sales"]


def test_health(server):
    r = httpx.get(f"{server.url}{API}/health", verify=server.tls())
    body = r.json()
    assert r.status_code == 200
    assert (body["status"], body["server_id"], body["api"]) == ("ok", "test-api", "v1")
    assert "time" in body and "snapshot" in body


def test_enrolment_with_a_cli_code_once_and_a_wrong_code_403(server):
    r = httpx.post(
        f"{server.url}{API}/enroll", json={"code": "ZZZZ-ZZZZ", "name": "x"}, verify=server.tls()
    )
    assert r.status_code == 403 and r.json()["error"] == "bad_enrolment_code"
    code = server.enrolment_code("caisse cli")
    till = Till(server, "caisse cli", code)
    assert till.http.get("/screens").status_code == 200
    again = httpx.post(
        f"{server.url}{API}/enroll", json={"code": code, "name": "thief"}, verify=server.tls()
    )
    assert again.status_code == 403 and "already used" in again.json()["message"]


def test_unenrolled_unknown_and_revoked_tills_get_401(server):
    url = f"{server.url}{API}/barcodes/3760123000017"
    assert httpx.get(url, verify=server.tls()).json()["error"] == "missing_token"
    r = httpx.get(url, headers={"Authorization": "Bearer not-a-token"}, verify=server.tls())
    assert (r.status_code, r.json()["error"]) == (401, "unknown_token")
    till = Till(server, "to revoke")
    assert till.http.get("/barcodes/3760123000017").status_code == 200
    autonome("server", "revoke-till", "--data", str(server.data), str(till.till_id))
    r = till.http.get("/barcodes/3760123000017")
    assert (r.status_code, r.json()["error"]) == (401, "till_revoked")
    rec = till.maker.sale()
    assert till.put(rec).status_code == 401
    assert till.upload([rec]).status_code == 401
    assert _journal(server, till.till_id) == []


def test_put_is_idempotent(server):
    till = Till(server, "idem")
    rec = till.maker.sale()
    first, second = till.put(rec), till.put(rec)
    assert (first.status_code, first.json()["status"]) == (201, "stored")
    assert (second.status_code, second.json()["status"]) == (200, "duplicate")
    assert _journal(server, till.till_id) == [rec]


def test_same_id_other_content_is_kept_aside_and_reported(server):
    till = Till(server, "conflict")
    rec = till.maker.sale()
    assert till.put(rec).status_code == 201
    other = copy.deepcopy(rec)
    other["payments"] = [{"method": "card", "amount": rec["total"]}]
    other["change"] = 0
    other["hash"] = record_hash(other)
    r = till.put(other)
    assert (r.status_code, r.json()["status"]) == (409, "conflict")
    conflicts = [c for c in server.api("GET", f"{API}/conflicts").json()
                 if c["sale_id"] == rec["sale_id"]]  # fmt: skip
    assert len(conflicts) == 1 and conflicts[0]["record"] == other
    assert _journal(server, till.till_id) == [rec]


def test_a_malformed_record_in_a_batch_is_quarantined_the_others_stored(server):
    till = Till(server, "batch")
    recs = till.maker.many(4)
    bad = copy.deepcopy(recs[1])
    del bad["payments"]
    r = till.upload([recs[0], bad, {"raw": "\x00garbage"}, recs[2], recs[3]])
    assert r.status_code == 200
    body = r.json()
    assert [x["status"] for x in body["results"]] == [
        "stored", "quarantined", "quarantined", "stored", "stored"
    ]  # fmt: skip
    assert [x["seq"] for x in body["results"]] == [1, 2, None, 3, 4]
    assert body["contiguous_seq"] == 4
    assert [s["seq"] for s in _journal(server, till.till_id)] == [1, 3, 4]
    mine = [q for q in server.api("GET", f"{API}/quarantine").json()
            if q["till_id"] == till.till_id]  # fmt: skip
    assert {q["reason"] for q in mine} == {"malformed", "unreadable"}
    assert any(q["raw"] == "\x00garbage" for q in mine)
    assert any(recs[1]["sale_id"] in q["raw"] for q in mine)


def test_a_broken_chain_is_reported_by_integrity(server):
    till = Till(server, "chain")
    s1, s2 = till.maker.many(2)
    forged = SaleMaker(till.till_id, start_seq=3, prev_hash="f" * 64, seed=4).sale()
    assert till.upload([s1, s2, forged]).json()["contiguous_seq"] == 3
    events = [e for e in server.api("GET", f"{API}/integrity").json()
              if e["till_id"] == till.till_id]  # fmt: skip
    assert [(e["kind"], e["seq"], e["prev_seq"]) for e in events] == [("broken_link", 3, 2)]
    assert len(_journal(server, till.till_id)) == 3


def test_pending_sales_text(server):
    till = Till(server, "gaps")
    recs = till.maker.many(7)
    till.upload([recs[0], recs[1], recs[2], recs[6]])
    mine = [p for p in server.api("GET", f"{API}/pending").json() if p["till_id"] == till.till_id]
    assert mine[0]["text"] == f"till {till.till_id}: sales 4-6 pending"
    assert mine[0]["ranges"] == [[4, 6]]
    assert till.http.get("/health", headers={"X-Till-Last-Seq": "9"}).status_code == 200
    out = autonome("server", "pending", "--data", str(server.data))
    assert f"till {till.till_id}: sales 4-6, 8-9 pending" in out


def test_health_tells_a_till_what_is_held_and_how_far_its_clock_is_off(server):
    till = Till(server, "held")
    recs = till.maker.many(5)
    assert till.http.get("/health").json()["contiguous_seq"] == 0
    for rec in recs[:3]:  # online, one PUT each
        assert till.put(rec).status_code == 201
    till.upload([recs[4]])
    health = till.http.get("/health").json()
    assert health["contiguous_seq"] == 3 and "clock_offset_s" not in health
    assert (
        "contiguous_seq" not in httpx.get(f"{server.url}{API}/health", verify=server.tls()).json()
    )  # no till
    slow = datetime.now(UTC) - timedelta(hours=2)
    r = till.http.get("/health", headers={"X-Till-Time": slow.isoformat()})
    assert abs(r.json()["clock_offset_s"] + 7200) < 5, r.json()
    bad = till.http.get("/health", headers={"X-Till-Time": "yesterday"})
    assert (bad.status_code, bad.json()["error"]) == (400, "bad_header")


def test_malformed_json_gets_a_clear_error(server):
    till = Till(server, "json")
    r = httpx.post(f"{server.url}{API}/enroll", content=b'{"code": ', verify=server.tls())
    assert r.status_code == 400
    assert r.json()["error"] == "malformed_json" and "JSON" in r.json()["message"]
    r = till.http.post(f"/tills/{till.till_id}/outbox", content=b"[1, 2")
    assert (r.status_code, r.json()["error"]) == (400, "malformed_json")
    r = till.http.put("/sales/abc", content=b"{nope")
    assert r.status_code == 422
    assert (r.json()["status"], r.json()["error"]) == ("quarantined", "malformed_json")
    r = till.http.post(f"/tills/{till.till_id}/outbox", json={"sales": []})
    assert (r.status_code, r.json()["error"]) == (422, "invalid")


def test_oversized_bodies_get_413(server):
    till = Till(server, "big")
    r = till.http.put("/sales/x", content=b"x" * (MAX_BODY + 1))
    assert (r.status_code, r.json()["error"]) == (413, "too_large")

    def chunks():  # no Content-Length: the streamed size is counted
        for _ in range(9):
            yield b"y" * (1024 * 1024)

    r = till.http.put("/sales/y", content=chunks())
    assert r.status_code == 413
    too_many = [{"raw": "x"}] * (MAX_BATCH + 1)
    r = till.upload(too_many)
    assert (r.status_code, r.json()["error"]) == (413, "batch_too_large")
    assert till.http.get("/health").status_code == 200


def test_barcodes_and_articles(server):
    till = Till(server, "lookup")
    r = till.http.get("/barcodes/0000000000000")
    assert (r.status_code, r.json()["error"]) == (404, "unknown_barcode")
    assert "0000000000000" in r.json()["message"]
    baguette = till.http.get("/barcodes/3760123000017").json()
    assert (baguette["article_id"], baguette["name"], baguette["price"]) == (
        "A001",
        "Baguette",
        110,
    )
    assert till.http.get("/articles/A001").json() == baguette
    r = till.http.get("/articles/NOPE")
    assert (r.status_code, r.json()["error"]) == (404, "unknown_article")
    new = {"name": "Galette complète", "price": 890, "vat_bp": 1000, "category": "cuisine",
           "barcodes": ["2123456789018"]}  # fmt: skip
    r = till.http.post("/articles", json=new)
    assert r.status_code == 201
    assert till.http.get("/barcodes/2123456789018").json()["article_id"] == r.json()["article_id"]
    r = till.http.post("/articles", json=new)
    assert (r.status_code, r.json()["error"]) == (409, "barcode_taken")
    r = till.http.post("/articles", json={"name": "x"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid")


def test_snapshot_build_meta_and_download(server):
    till = Till(server, "snap")
    out = autonome("snapshot", "build", "--data", str(server.data), "--json")
    built = json.loads(out)
    meta = till.http.get("/snapshot").json()
    assert meta["version"] == built["version"] and meta["sha256"] == built["sha256"]
    r = till.http.get(f"/snapshot/{meta['version']}")
    assert r.status_code == 200
    assert r.headers["X-Snapshot-Sha256"] == meta["sha256"] == hashlib.sha256(r.content).hexdigest()
    assert len(r.content) == meta["size"]
    assert (
        httpx.get(f"{server.url}{API}/health", verify=server.tls()).json()["snapshot"]["version"]
        == meta["version"]
    )
    r = till.http.get("/snapshot/999")
    assert (r.status_code, r.json()["error"]) == (404, "unknown_snapshot")


def test_snapshots_are_signed_with_the_key_given_at_enrolment(server):
    till = Till(server, "signed")
    key_on_disk = load_private_key((server.data / "signing.key").read_bytes())
    assert till.signing_key == public_key_b64(key_on_disk)
    built = json.loads(autonome("snapshot", "build", "--data", str(server.data), "--json"))
    meta = till.http.get("/snapshot").json()
    assert meta["signature"] == built["signature"]
    health = httpx.get(f"{server.url}{API}/health", verify=server.tls()).json()["snapshot"]
    assert health["version"] == meta["version"] and health["signature"] == meta["signature"]
    r = till.http.get(f"/snapshot/{meta['version']}")
    assert r.headers["X-Snapshot-Signature"] == meta["signature"]
    assert verify(till.signing_key, r.content, r.headers["X-Snapshot-Signature"])
    assert not verify(till.signing_key, r.content[:-1] + b" ", meta["signature"])


def test_snapshot_file_opens_with_tinydb(server, tmp_path):
    till = Till(server, "tinydb")
    meta = json.loads(autonome("snapshot", "build", "--data", str(server.data), "--json"))
    path = tmp_path / "snap.json"
    path.write_bytes(till.http.get(f"/snapshot/{meta['version']}").content)
    with TinyDB(path, access_mode="r") as db:
        assert db.table("meta").all()[0]["version"] == meta["version"]
        assert len(db.table("articles")) >= 150  # other tests may have added some
        assert db.table("articles").get(doc_id=1)["article_id"] == "A001"


def test_events_are_idempotent_by_id(server):
    till = Till(server, "events")
    ev = {"kind": "event", "event_id": str(uuid.uuid4()), "till_id": till.till_id,
          "at": "2026-11-28T10:00:00+00:00", "type": "boot", "data": {}}  # fmt: skip
    url = f"/tills/{till.till_id}/events"
    first = till.http.post(url, json={"events": [ev, {"bad": 1}]}).json()["results"]
    assert [x["status"] for x in first] == ["stored", "rejected"]
    assert till.http.post(url, json={"events": [ev]}).json()["results"][0]["status"] == "duplicate"
    r = till.http.post(f"/tills/{till.till_id + 100}/events", json={"events": []})
    assert (r.status_code, r.json()["error"]) == (403, "wrong_till")


def test_print_jobs(server):
    till = Till(server, "kitchen")
    job = {"job_id": str(uuid.uuid4()), "till_id": till.till_id, "table": "12", "covers": 2,
           "note": "", "lines": [{"name": "Plat du jour", "quantity": 2, "category": "cuisine"},
                                  {"name": "Expresso", "quantity": 2,
                                   "category": "boissons-chaudes"}]}  # fmt: skip
    r = till.http.post("/print-jobs", json=job)
    assert r.status_code == 202
    assert r.json() == {"job_id": job["job_id"], "status": "queued", "printers": ["bar", "cuisine"]}
    assert till.http.post("/print-jobs", json=job).json() == r.json()
    orphan = {**job, "job_id": str(uuid.uuid4()),
              "lines": [{"name": "Croissant", "category": "viennoiseries"}]}  # fmt: skip
    r = till.http.post("/print-jobs", json=orphan)
    assert (r.status_code, r.json()["error"]) == (422, "no_printer")
    assert "viennoiseries" in r.json()["message"]


def test_admin_endpoints_need_the_admin_token(server):
    till = Till(server, "nosy")
    for path in ("/pending", "/conflicts", "/quarantine", "/integrity", "/reports/x"):
        r = till.http.get(path)
        assert (r.status_code, r.json()["error"]) == (403, "admin_only"), path
    assert httpx.get(f"{server.url}{API}/pending", verify=server.tls()).status_code == 401
    assert (
        httpx.get(f"{server.url}{API}/no/such/thing", verify=server.tls()).json()["error"]
        == "not_found"
    )


def test_python_m_appliance_server_runs_the_cli(server):
    till = Till(server, "cli journal")
    sent = [till.maker.sale(), till.maker.sale()]
    for rec in sent:
        assert till.put(rec).status_code in (200, 201)
    done = subprocess.run(
        [sys.executable, "-m", "appliance.server", "journal", "--data", str(server.data),
         "--till", str(till.till_id), "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # the till's sales, in seq order, each as the server keeps it in its journal
    said = json.loads(done.stdout)
    assert [(r["seq"], r["sale_id"]) for r in said] == [(r["seq"], r["sale_id"]) for r in sent]
    assert said == _journal(server, till.till_id)
