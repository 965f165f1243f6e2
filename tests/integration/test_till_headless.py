"""`autonome till --headless` as a subprocess against the real store server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path

import pytest

from appliance.domain import verify_chain
from appliance.processes import ProcessError, ServerProcess, TillProcess, autonome

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def kitchen():
    """The demo store's printers on free ports: the kitchen's a port held and not
    listening (a dead printer), the bar a simulated printer."""
    from drivers.sim import SimPrinter

    dead = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    dead.bind(("127.0.0.1", 0))
    bar = SimPrinter()
    bar.serve_tcp(port=0)
    yield {"cuisine": f"127.0.0.1:{dead.getsockname()[1]}", "bar": bar}
    bar.close()
    dead.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory, kitchen) -> Path:
    """A demo store initialised once, copied for each test."""
    data = tmp_path_factory.mktemp("store-template") / "server"
    data.mkdir()
    printers = ["--printer", f"cuisine={kitchen['cuisine']}"]
    printers += ["--printer", f"bar={kitchen['bar'].tcp.address}"]
    autonome("server", "init", "--data", str(data), "--demo", *printers, timeout=300)
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
def barcodes(server) -> list[str]:
    snap = max((server.data / "snapshots").glob("snapshot-*.json"))
    doc = json.loads(snap.read_text())
    return sorted(row["code"] for row in doc["barcodes"].values())


@pytest.fixture
def till(tmp_path, server):
    t = TillProcess(tmp_path / "till", "till A")
    t.enroll(server.enrolment_code("till A"), server.url)
    yield t
    t.kill()


def start_online(till: TillProcess, server: ServerProcess) -> None:
    till.start(server.url)
    till.wait_event("mode", mode="ONLINE", timeout=20)
    till.send("login", cashier="c1", pin="1234")
    till.wait_event("logged_in")


def sell(till: TillProcess, codes, method="cash", amount=100_00) -> dict:
    for code in codes:
        till.send("scan", code=code)
        till.wait_event("line_added")
    till.send("pay", method=method, amount=amount)
    return till.wait_event("sale_closed")


def journal(server: ServerProcess, till_id: int = 1) -> list[dict]:
    r = server.api("GET", "/api/v1/journal", params={"till_id": till_id, "limit": 5000})
    r.raise_for_status()
    return r.json()["sales"]


def wait_until(predicate, timeout=10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_enrolment_writes_the_till_identity(tmp_path, server):
    with pytest.raises(ProcessError, match="bad_enrolment_code"):
        autonome(
            "till",
            "enroll",
            "--data",
            str(tmp_path / "x"),
            "--code",
            "WRON-GCOD",
            "--server",
            server.url,
        )
    assert not (tmp_path / "x" / "till.json").exists()
    code = server.enrolment_code("till B")
    out = autonome(
        "till", "enroll", "--data", str(tmp_path / "t"), "--code", code, "--server", server.url
    )
    conf = json.loads((tmp_path / "t" / "till.json").read_text())
    assert f"till {conf['till_id']}" in out and conf["token"] not in out
    assert conf["server_id"] == json.loads((server.data / "server.json").read_text())["server_id"]
    assert conf["server_url"] == server.url
    assert os.stat(tmp_path / "t" / "till.json").st_mode & 0o077 == 0
    with pytest.raises(ProcessError, match="already"):
        autonome(
            "till", "enroll", "--data", str(tmp_path / "t"), "--code", code, "--server", server.url
        )


def test_online_sale_reaches_the_server_at_once(till, server, barcodes):
    start_online(till, server)
    closed = sell(till, barcodes[:3])
    assert closed["seq"] == 1 and closed["mode"] == "online"
    wait_until(lambda: [s["sale_id"] for s in journal(server)] == [closed["sale_id"]])
    assert journal(server)[0]["hash"] == closed["hash"]
    till.send("scan", code="0000000000000")
    err = till.wait_event("error")
    # the console names each scan as the UI does; the answer carries that name
    assert err["code"] == "unknown_barcode" and err["request"] == "console-4"
    till.send("status")
    st = till.wait_event("status")
    assert st["mode"] == "ONLINE" and st["last_seq"] == 1 and st["snapshot_version"] == 1
    assert st["sale"]["lines"] == []

    def reported() -> bool:  # the heartbeat reports the till's last seq
        tills = server.api("GET", "/api/v1/tills").json()
        return tills[0]["last_seq_reported"] == 1 and tills[0]["last_seen"] is not None

    wait_until(reported)
    till.send("add", article_id="NOPE", request="pos-7")
    err = till.wait_event("error")
    assert (err["code"], err["request"]) == ("unknown_article", "pos-7")


def test_online_article_creation_and_kitchen_ticket_go_through_the_server(till, server):
    start_online(till, server)
    till.send(
        "create_article",
        article={
            "name": "Tarte du jour",
            "price": 450,
            "vat_bp": 550,
            "category": "cuisine",
            "barcodes": ["2999999999993"],
        },
    )
    created = till.wait_event("article_created")["article"]
    till.send("scan", code="2999999999993")
    assert till.wait_event("line_added")["line"]["article_id"] == created["article_id"]
    till.send("kitchen", table="12", covers=2, note="quick")
    sent = till.wait_event("kitchen_sent")
    jobs = server.api("GET", "/api/v1/print-jobs").json()
    assert [j["job_id"] for j in jobs] == [sent["job_id"]]


def test_losing_the_server_asks_within_3_s_and_the_sale_completes_autonomously(
    till, server, barcodes
):
    start_online(till, server)
    sell(till, barcodes[:1])
    till.send("scan", code=barcodes[1])
    till.wait_event("line_added")
    t0 = time.monotonic()
    server.kill()
    q = till.wait_event("question", id="go_autonomous", timeout=10)
    lost_after = time.monotonic() - t0
    assert lost_after < 3.0, lost_after
    assert q["choices"] == ["yes", "retry"] and q["consequences"]["yes"]
    till.send("scan", code=barcodes[2])
    assert till.wait_event("error")["code"] == "question_pending"
    till.send("answer", question="go_autonomous", answer="retry")
    q = till.wait_event("question", id="go_autonomous", timeout=10)  # still gone: asked again
    till.send("answer", question="go_autonomous", answer="yes")
    till.wait_event("mode", mode="AUTONOMOUS")
    till.send("scan", code=barcodes[2])
    ev = till.wait_event("line_added")
    assert len(ev["sale"]["lines"]) == 2  # the sale begun online is still there
    till.send("pay", method="card", amount=ev["sale"]["total"])
    closed = till.wait_event("sale_closed")
    assert closed["mode"] == "autonomous" and closed["seq"] == 2
    till.send("create_article", article={"name": "Tarte", "price": 300, "vat_bp": 550})
    err = till.wait_event("error")
    assert err["code"] == "autonomous_no_article_creation"
    till.send("kitchen", table="7", lines=[{"name": "Tarte", "quantity": 1}])
    err = till.wait_event("error")
    assert err["code"] == "printers_out_of_reach" and "autonomous mode" in err["message"]


def test_back_from_an_outage_the_till_asks_then_uploads_exactly_once(till, server, barcodes):
    start_online(till, server)
    online = [sell(till, barcodes[i : i + 2]) for i in range(3)]
    server.kill()
    till.wait_event("question", id="go_autonomous", timeout=10)
    till.send("answer", answer="yes")
    till.wait_event("mode", mode="AUTONOMOUS")
    offline = [sell(till, barcodes[i : i + 3]) for i in range(25)]
    till.quit()
    server.start()
    held = len(journal(server))  # the last online sale may not have left before the kill
    till.start(server.url)
    q = till.wait_event("question", id="send_sales", timeout=20)
    assert f"{28 - held} sales" in q["text"] and q["choices"] == ["send", "later"]
    pending = server.api("GET", "/api/v1/pending").json()
    assert pending and pending[0]["ranges"] == [[held + 1, 28]]  # the heartbeat's last seq
    till.send("answer", question="send_sales", answer="later")
    till.wait_event("mode", mode="AUTONOMOUS")
    time.sleep(1.5)
    assert len(journal(server)) == held  # "later" sends nothing
    till.send("upload")
    done = till.wait_event("upload_finished", timeout=30)
    assert done["sent"] == 28 - held
    till.wait_event("mode", mode="ONLINE")
    records = journal(server)
    assert sorted(r["sale_id"] for r in records) == sorted(c["sale_id"] for c in online + offline)
    assert [r["seq"] for r in records] == list(range(1, 29))
    assert verify_chain(records) == []
    assert sum(r["mode"] == "autonomous" for r in records) == 25
    assert server.api("GET", "/api/v1/pending").json() == []
    assert server.api("GET", "/api/v1/integrity").json() == []


def test_malformed_commands_get_errors_never_a_crash(till, server):
    start_online(till, server)
    bad = [
        "{not json",
        "[]",
        '{"no": "cmd"}',
        '{"cmd": "fly"}',
        '{"cmd": "scan"}',
        '{"cmd": "scan", "code": 12}',
        '{"cmd": "qty", "line": "x", "quantity": 2}',
        '{"cmd": "qty", "line": 9, "quantity": 2}',
        '{"cmd": "pay", "method": "gold"}',
        '{"cmd": "pay", "payments": "all"}',
        '{"cmd": "answer", "answer": "yes"}',
        '{"cmd": "discount", "percent": 150}',
        '{"cmd": "scan", "code": "../../etc"}',
    ]
    assert till.proc is not None and till.proc.stdin is not None
    for line in bad:
        till.proc.stdin.write(line + "\n")
        till.proc.stdin.flush()
        err = till.wait_event("error")
        assert err["code"] and err["message"], line
    till.send("status")
    assert till.wait_event("status")["mode"] == "ONLINE"


def test_a_misspelt_field_is_an_error_naming_it_and_the_console_goes_on(till, server, barcodes):
    start_online(till, server)
    till.send("scan", cod=barcodes[0])
    err = till.wait_event("error")
    assert (err["code"], err["cmd"], err["field"]) == ("bad_argument", "scan", "cod")
    assert "unknown argument 'cod': scan takes code, quantity" in err["message"]
    till.send("pay", payments=[{"method": "cash", "amuont": 100}])
    err = till.wait_event("error")
    assert (err["cmd"], err["field"]) == ("pay", "payments.0.amuont")
    till.send("scan", code=barcodes[0])  # nothing was half done: the till sells on
    assert till.wait_event("line_added")["sale"]["lines"][0]["quantity"] == 1


def test_a_new_snapshot_on_the_server_is_installed_in_the_background(till, server):
    start_online(till, server)
    built = server.api("POST", "/api/v1/snapshot/build")
    assert built.status_code == 201, built.text
    ev = till.wait_event("snapshot_installed", timeout=10)
    assert ev["version"] == 2 and ev["articles"] >= 100
    snap = till.data / "snapshot"
    assert json.loads((snap / "current.json").read_text())["meta"]["1"]["version"] == 2
    assert json.loads((snap / "previous.json").read_text())["meta"]["1"]["version"] == 1


def test_the_headless_till_refuses_an_unenrolled_folder(tmp_path):
    with pytest.raises(ProcessError, match="enrol"):
        autonome("till", "--headless", "--data", str(tmp_path))


def test_the_cashier_hears_what_became_of_an_order_the_kitchen_printer_being_dead(
    till, server, kitchen, demo_ports_held
):
    """The demo store's kitchen printer is dead; its backup, the bar's, prints the
    ticket; the till follows the job and says so. The demo's own ports are held
    meanwhile: none of them is the test's."""
    bar = kitchen["bar"]
    before = len(bar.core.receipts())  # the module's other orders may have printed there
    start_online(till, server)
    dish = {"article_id": "A104", "name": "Plat du jour", "quantity": 1}
    till.send("kitchen", table="5", covers=1, lines=[{**dish, "category": "cuisine"}])
    sent = till.wait_event("kitchen_sent")
    status = till.wait_event("kitchen_status", timeout=60, job_id=sent["job_id"], ended=True)
    assert status["status"] == "printed" and status["ok"] is True
    assert "Cuisine is not answering: the ticket went to Bar (backup)" in status["message"]
    assert [(p["printer_id"], p["sent_to"]) for p in status["printers"]] == [("cuisine", "bar")]
    assert len(bar.core.receipts()) == before + 1
    ticket = bar.receipts_text()[-1]
    assert "Plat du jour" in ticket and "Table 5" in ticket
