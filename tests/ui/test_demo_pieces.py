"""The demo's pieces assembled as docs/ui.md says: the simulated scanner's buttons ring
up through the real device layer, the receipt view shows what the simulated printer
printed, the unplug switch cuts the server off."""

from __future__ import annotations

import pytest

from appliance.till.devconfig import sim_devices
from appliance.ui.cli import attach_devices
from testbed.rig import Cable
from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)

DEVICES = sim_devices()


def test_the_demo_side_rings_up_prints_and_unplugs(server, tmp_path):
    from appliance.ui.demo import demo_side

    cable = Cable(server)
    folder = tmp_path / "till"
    till = enrolled_till(server, folder, cable.url)
    (folder / "devices.toml").write_text(DEVICES)

    def side(ctl):
        return demo_side(
            ctl,
            scan=lambda code: till.devices.sim.scanner.scan(code),
            unplug=lambda plugged: cable.mend() if plugged else cable.cut(),
        )

    ui = TillScreen(till, size=(1404, 768), side=side, after_start=attach_devices)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        ui.until(lambda: ui.ctl.state.devices.get("scanner", {}).get("state") == "connected", 10)
        assert "ready" in ui.text("status:scanner")
        codes = [t for t in ui.tagged() if t.startswith("demo:scan:")]
        assert len(codes) == 7  # six articles of the pages and an unknown code
        known = codes[0].removeprefix("demo:scan:")
        ui.touch(f"demo:scan:{known}")
        line = ui.event("line_added")
        assert till.catalogue.by_barcode(known)["article_id"] == line["line"]["article_id"]
        ui.idle()
        assert ui.ctl.state.provisional == {}  # the scanner's provisional line was replaced
        ui.touch("demo:scan:2000000000008")
        ui.event("error", code="unknown_barcode")
        ui.until(lambda: ui.ctl.state.provisional == {}, 5, "the unknown code's line gone")
        ui.touch("sale:pay")
        ui.touch("pay:exact")
        ui.event("sale_closed")
        printed = ui.event("receipt_printed", timeout=20)
        receipt = ui.find("demo:receipt")
        ui.until(lambda: receipt.source == printed["png"], 5, "the receipt shown")
        ui.until(lambda: receipt.texture is not None and receipt.height > 200, 5)
        ui.event("drawer_opened")  # a cash sale opens the drawer
        ui.touch("demo:unplug")
        ui.until(lambda: ui.has("question:go_autonomous"), 10, "the question")
        ui.touch("answer:retry")
        ui.touch("demo:unplug")  # plugged back: the retry finds it
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online again")
    finally:
        ui.close()
        cable.close()
