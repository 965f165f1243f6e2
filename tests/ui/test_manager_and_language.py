"""A manager's functions with the simulated devices (open the drawer, reprint, the X
report, send to the kitchen), and the language switched on the login screen."""

from __future__ import annotations

import pytest

from appliance.till.devconfig import sim_devices
from appliance.ui.cli import attach_devices
from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)

DEVICES = sim_devices()


def test_a_manager_opens_the_drawer_reprints_and_reads_the_x_report(server, tmp_path):
    folder = tmp_path / "till"
    till = enrolled_till(server, folder)
    (folder / "devices.toml").write_text(DEVICES)
    ui = TillScreen(till, after_start=attach_devices)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        drawer = ui.find("fn:drawer")
        assert drawer.disabled and drawer.text == "Open drawer: managers only"
        ui.touch("fn:drawer")
        ui.idle()
        assert not [e for e in ui.events if e["event"] == "drawer_opened"]
        # a sale in card, then the manager
        ui.touch("tab:0")
        ui.touch(f"product:{next(iter(till.catalogue.screens[0]['buttons']))['article_id']}")
        ui.touch("sale:pay")
        ui.touch("pay:card")
        sale = ui.event("sale_closed")
        ui.event("receipt_printed", timeout=20)
        ui.touch("pay:new_sale")
        ui.touch("fn:logout")
        ui.login("m1", "9876")
        assert not ui.find("fn:drawer").disabled
        ui.touch("fn:drawer")
        opened = ui.event("drawer_opened", timeout=20)
        assert opened.get("sale_id") is None  # the manager's, not a sale's
        ui.touch("fn:reprint")
        ui.until(lambda: len([e for e in ui.events if e["event"] == "receipt_printed"]) == 2, 20)
        ui.touch("fn:xreport")
        ui.until(lambda: ui.has("xreport:body"), 10, "the X report")
        body = ui.text("xreport:body")
        total = f"€{sale['total'] // 100}.{sale['total'] % 100:02d}"
        assert "Sales: 1" in body and f"Total: {total}" in body and f"Card: {total}" in body
        ui.touch("xreport:close")
        # the demo's restaurant printers: the kitchen gets the sale's lines (queued online)
        page = next(i for i, p in enumerate(till.catalogue.screens) if p["name"] == "Sur place")
        ui.touch(f"tab:{page}")
        ui.touch(f"product:{till.catalogue.screens[page]['buttons'][0]['article_id']}")
        ui.idle()
        ui.touch("fn:kitchen")
        ui.touch("kitchen:key:1")
        ui.touch("kitchen:key:2")
        ui.touch("kitchen:field:covers")
        ui.touch("kitchen:key:4")
        ui.touch("kitchen:send")
        sent = ui.event("kitchen_sent", timeout=20)
        assert sent["answer"]["status"] == "queued"
        jobs = server.api("GET", "/api/v1/print-jobs").json()
        assert sent["job_id"] in {j["job_id"] for j in jobs}
    finally:
        ui.close()


def test_the_language_changes_on_the_login_screen_and_keeps_the_state(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr")
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE" and ui.has("cashier:c1"), 20)
        assert ui.text("status:mode") == "En ligne"
        assert ui.find("login:ok").text == "OK"
        ui.touch("lang")
        ui.frames(3)
        assert ui.text("status:mode") == "Online"
        assert ui.text("login:hint") == "Touch your name, then type your PIN."
        ui.login("c1", "1234")
        ui.touch("tab:0")
        ui.touch(f"product:{till.catalogue.screens[0]['buttons'][0]['article_id']}")
        ui.idle()
        assert ui.text("sale:total").startswith("€")
        ui.touch("fn:logout")
        ui.touch("lang")
        ui.frames(3)
        assert ui.text("status:mode") == "En ligne"
        ui.login("c1", "1234")
        assert ui.text("sale:total").endswith(" €")  # the sale on screen is still there
        assert len(ui.ctl.state.sale["lines"]) == 1
    finally:
        ui.close()
