"""The demo's store and its "unplug the server" switch, driven by a headless till: the
question, autonomous sales, the server plugged back, the upload, nothing lost."""

from __future__ import annotations

import json

import pytest

from appliance.demo_printers import FREE_PORTS
from appliance.processes import TillProcess
from appliance.showcase import Showcase

pytestmark = pytest.mark.timeout(120)


def test_unplugging_the_demo_server_tells_the_whole_story(tmp_path, demo_ports_held):
    said: list[str] = []
    show = Showcase(tmp_path / "demo", out=None, say=said.append, kitchen_ports=FREE_PORTS)
    show.start_store()
    till = TillProcess(show.till_dir, "Caisse 1")
    try:
        till.start(show.server.url)
        till.wait_event("mode", mode="ONLINE", timeout=20)
        till.send("login", cashier="c1", pin="1234")
        till.wait_event("logged_in")
        snap = max((show.server.data / "snapshots").glob("snapshot-*.json"))
        code = next(iter(json.loads(snap.read_text())["barcodes"].values()))["code"]
        show.plug(False)
        till.wait_event("question", id="go_autonomous", timeout=10)
        till.send("answer", question="go_autonomous", answer="yes")
        till.wait_event("mode", mode="AUTONOMOUS")
        till.send("sim_scan", code=code)  # the demo's simulated scanner, through pyusb
        till.wait_event("line_added", timeout=10)
        till.send("pay", method="cash", amount=20_00)
        sale = till.wait_event("sale_closed")
        assert till.wait_event("receipt_printed", sale_id=sale["sale_id"])["png"]
        show.plug(True)
        asked = till.wait_event("question", id="send_sales", timeout=20)
        assert "1 sale" in asked["text"]
        till.send("answer", question="send_sales", answer="send")
        assert till.wait_event("upload_finished", timeout=20)["sent"] == 1
        journal = show.server.api("GET", "/api/v1/journal").json()["sales"]
        assert [s["sale_id"] for s in journal] == [sale["sale_id"]]
        assert said[-2:] == ["server unplugged", "server plugged back in"]
    finally:
        till.kill()
        show.stop()
