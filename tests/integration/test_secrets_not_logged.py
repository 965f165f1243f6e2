"""No secret is ever written where it does not belong.

A server and a till run at DEBUG with the access log on, through a refused and
a good enrolment, online sales, a request with a wrong token, an outage, the
autonomous sales, the upload and the admin API. Then every log and journal they
wrote is read: the server's stdout and stderr (its log and access log), the
till's stdout (events), stderr (log) and the enrolment command's output, and
every file of both data folders. No till token, admin token or enrolment code
(used or refused) may appear anywhere, except in the two files made to hold
one: the till's `till.json` and the server's `admin.token` (both mode 0600).
"""

from __future__ import annotations

import json
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from appliance.processes import ServerProcess, TillProcess

pytestmark = pytest.mark.timeout(180)

API = "/api/v1"
CASHIER = {"cashier": "c1", "pin": "1234"}


def sell(till: TillProcess, codes: list[str], mode: str) -> None:
    for code in codes:
        till.send("scan", code=code)
        till.wait_event("line_added")
    till.send("pay", method="cash", amount=100_00)
    assert till.wait_event("sale_closed")["mode"] == mode


def forms(secret: str) -> set[str]:
    """How a secret could be written: as is, and an enrolment code without its dash."""
    return {secret, secret.replace("-", "")}


def files(folder: Path, *holders: str) -> dict[str, bytes]:
    """Every file under `folder` but the ones made to hold a secret."""
    return {
        str(p): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in holders
    }


def test_no_token_or_code_in_any_log_or_journal(tmp_path):
    server = ServerProcess(tmp_path / "server", mdns=True)
    server.data.mkdir()
    server.init("--demo")
    run_args = ["--access-log", "--log-level", "debug"]
    server.start(args=run_args)
    snap = max((server.data / "snapshots").glob("snapshot-*.json")).read_text()
    barcodes = sorted(r["code"] for r in json.loads(snap)["barcodes"].values())[:6]
    till = TillProcess(tmp_path / "till", "till A")
    outputs: list[str] = []
    try:
        wrong = "ZZZZ-2345"
        refused = subprocess.run(
            [sys.executable, "-m", "appliance", "till", "enroll", "--data", str(till.data)]
            + ["--code", wrong, "--server", server.url, "--fingerprint", server.fingerprint()],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 1 and "bad_enrolment_code" in refused.stderr
        outputs += [refused.stdout, refused.stderr]
        code = server.enrolment_code("till A")
        outputs.append(till.enroll(code, server.url, server.fingerprint()))
        conf = json.loads((till.data / "till.json").read_text())
        token = conf["token"]
        assert stat.S_IMODE((till.data / "till.json").stat().st_mode) == 0o600

        till.start(server.url, args=["--log-level", "DEBUG"])
        till.wait_event("mode", mode="ONLINE", timeout=20)
        till.send("login", **CASHIER)
        till.wait_event("logged_in")
        sell(till, barcodes[:2], "online")
        sell(till, barcodes[2:3], "online")
        bogus = secrets.token_urlsafe(32)
        r = httpx.get(
            f"{server.url}{API}/barcodes/{barcodes[0]}",
            headers={"Authorization": f"Bearer {bogus}"},
            verify=server.tls(),
        )
        assert r.status_code == 401

        # the two online sales on the server before the cable goes: the upload counts
        # only the two sold alone
        till.wait_event("synced", acked=2, pending=0, past=True, timeout=10)
        server.kill()
        till.wait_event("question", id="go_autonomous", timeout=10)
        till.send("answer", question="go_autonomous", answer="yes")
        till.wait_event("mode", mode="AUTONOMOUS")
        sell(till, barcodes[3:5], "autonomous")
        sell(till, barcodes[5:6], "autonomous")

        server.start(args=run_args)
        till.wait_event("question", id="send_sales", timeout=20)
        till.send("answer", question="send_sales", answer="send")
        assert till.wait_event("upload_finished", timeout=20)["sent"] == 2
        till.wait_event("mode", mode="ONLINE", timeout=10)
        sell(till, barcodes[:1], "online")
        assert server.api("GET", f"{API}/pending").status_code == 200
        r = server.api("POST", f"{API}/enrolment-codes", json={"name": "spare"})
        spare = r.json()["code"]
        till.wait_event("synced", pending=0, timeout=10)
    finally:
        till.quit()
        server.stop()

    admin = server.admin_token()
    forbidden = {"till token": {token}, "admin token": {admin}, "bogus token": {bogus}}
    forbidden |= {"enrolment code": forms(code), "refused code": forms(wrong)}
    forbidden |= {"spare code": forms(spare)}
    written = {
        "server stdout": "".join(server.output),
        "server stderr (log, access log)": server.log.read_text(errors="replace"),
        "till stdout (events)": "".join(till.output),
        "till stderr (log)": till.log.read_text(errors="replace"),
        "enrolment output": "\n".join(outputs),
    }
    assert "GET /api/v1/barcodes" in written["server stderr (log, access log)"]  # access log on
    assert "DEBUG" in written["till stderr (log)"]
    for path, data in files(till.data, "till.json").items():
        written[path] = data.decode("utf-8", "replace")
    for path, data in files(server.data, "admin.token").items():
        written[path] = data.decode("utf-8", "replace")
    assert any(p.endswith("events.log") for p in written)
    assert any(p.endswith("server.db") for p in written)
    leaks = [
        f"{what} in {where}"
        for where, text in written.items()
        for what, values in forbidden.items()
        if any(v in text for v in values)
    ]
    assert leaks == []
