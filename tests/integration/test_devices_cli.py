"""`autonome devices ...` as a subprocess, and a headless till process with simulated
devices selling against the real demo store server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.processes import ServerProcess, TillProcess, autonome
from appliance.till.devices_cli import SIM_DEVICES_TOML
from testbed.devices import autonomous_till

pytestmark = pytest.mark.timeout(180)


def devices(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "appliance", "devices", *args],
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_selftest_sim_json_is_one_object_and_ok(tmp_path):
    done = devices("selftest", "--sim", "--json", "--data", str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # exactly one JSON object: nothing else on stdout
    assert report["ok"] is True
    assert set(report) == {"scanner", "printer", "drawer", "kitchen", "ok"}
    layouts = report["scanner"]["layouts"]
    assert set(layouts) == {"us", "fr", "be"}
    assert all(v["decoded"] == v["typed"] and v["ok"] for v in layouts.values())
    for wire in ("usb", "tcp"):
        assert report["printer"][wire]["state"] == "printed"
        assert report["printer"][wire]["missing_lines"] == []
    assert report["printer"]["status"]["paper_out"] == ["paper_out"]
    assert Path(report["printer"]["png"]).read_bytes().startswith(b"\x89PNG")
    assert Path(report["printer"]["png"]).parent == tmp_path / "receipts"
    drawer = report["drawer"]
    assert (drawer["before"], drawer["after_kick"], drawer["after_close"]) == (False, True, False)
    assert report["kitchen"]["state"] == "printed" and report["kitchen"]["missing_lines"] == []


def test_list_sim_json_shows_the_bus_and_the_configured_devices():
    done = devices("list", "--sim", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    seen = {d["vid_pid"]: d for d in report["usb"] if d["simulated"]}
    assert "scanner" in seen["05e0:1200"]["kind"] and "printer" in seen["04b8:0e15"]["kind"]
    conf = report["configured"]
    assert conf["scanner"]["state"] == "found" and conf["printer"]["state"] == "ok"
    assert conf["drawer"]["state"] == "closed" and conf["kitchen"][0]["state"] == "ok"


def test_test_print_on_the_configured_sim_printer(tmp_path):
    (tmp_path / "devices.toml").write_text('[printer]\nkind = "sim"\npaper = "80mm-42"\n')
    done = devices("test-print", "--data", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "printed" in done.stdout and "status: ok" in done.stdout
    text = (tmp_path / "receipts" / "test-print.txt").read_text()
    assert "Accents : à â ä ç é è ê ë" in text and "12,50 €" in text


def test_a_wrong_devices_toml_names_the_file_and_the_key(tmp_path):
    (tmp_path / "devices.toml").write_text('[printer]\nkind = "tcp"\naddress = "printer"\n')
    done = devices("test-print", "--data", str(tmp_path))
    assert done.returncode == 1
    assert str(tmp_path / "devices.toml") in done.stderr
    assert "[printer] address" in done.stderr and "host:port" in done.stderr
    assert devices("list").returncode == 1  # neither --data nor --sim


def test_open_drawer_from_the_shell_is_journaled_and_refused_while_the_till_runs(tmp_path):
    folder = tmp_path / "till"
    till = autonomous_till(folder, cashier=None)  # enrolled, holding its folder's lock
    (folder / "devices.toml").write_text(SIM_DEVICES_TOML)
    try:
        busy = devices("open-drawer", "--data", str(folder), "--reason", "float")
        assert busy.returncode == 1 and "a till is running" in busy.stderr
    finally:
        till.stop()
    done = devices("open-drawer", "--data", str(folder), "--reason", "float")
    assert done.returncode == 0, done.stderr
    assert "it reads open" in done.stdout and "journaled in" in done.stdout
    journal = [json.loads(line.split(" ", 1)[1]) for line in (folder / "events.log").open()]
    opened = [e for e in journal if e["type"] == "drawer_opened"]
    assert len(opened) == 1 and opened[0]["data"]["reason"] == "float"
    bare = devices("open-drawer", "--sim")
    assert bare.returncode == 0 and "not journaled" in bare.stdout


def test_scan_test_reads_codes_from_the_sim_scanner():
    done = devices("scan-test", "--sim", "--count", "2", "--timeout", "10")
    assert done.returncode == 0, done.stderr
    assert "code 3760000000011" in done.stdout and "code 3760000000028" in done.stdout
    few = devices("scan-test", "--sim", "--count", "9", "--timeout", "1")
    assert few.returncode == 1 and "3 code(s) read" in few.stdout


# -- a headless till process with its devices, online ----------------------------------
@pytest.fixture
def server(tmp_path):
    data = tmp_path / "server"
    autonome("server", "init", "--data", str(data), "--demo", timeout=300)
    autonome("snapshot", "build", "--data", str(data))
    s = ServerProcess(data, mdns=False).start()
    yield s
    s.stop()


def test_headless_till_scans_prints_the_store_identity_and_opens_the_drawer(tmp_path, server):
    snap = max((server.data / "snapshots").glob("snapshot-*.json"))
    doc = json.loads(snap.read_text())
    code = sorted(row["code"] for row in doc["barcodes"].values())[0]
    till = TillProcess(tmp_path / "till", "till A")
    till.enroll(server.enrolment_code("till A"), server.url)
    (till.data / "devices.toml").write_text(SIM_DEVICES_TOML)
    try:
        till.start(server.url)
        till.wait_event("mode", mode="ONLINE", timeout=20)
        till.send("login", cashier="c1", pin="1234")
        till.wait_event("logged_in")
        till.send("sim_scan", code=code)  # typed on the simulated scanner, read by pyusb
        assert till.wait_event("scanner_code")["code"] == code
        till.wait_event("line_added")
        till.send("pay", method="cash", amount=5000)
        sale = till.wait_event("sale_closed")
        printed = till.wait_event("receipt_printed", sale_id=sale["sale_id"])
        till.wait_event("drawer_opened", sale_id=sale["sale_id"])
        text = Path(printed["png"]).with_suffix(".txt").read_text()
        assert "Boulangerie du Canal" in text and "SIRET 732 829 320 00074" in text
        assert f"Ticket n° {sale['seq']}" in text and "mode autonome" not in text
        till.send("open_drawer", reason="float")
        refused = till.wait_event("error", code="drawer_refused")
        assert "only a manager" in refused["message"]
    finally:
        till.kill()
    shutil.rmtree(till.data / "receipts", ignore_errors=True)
