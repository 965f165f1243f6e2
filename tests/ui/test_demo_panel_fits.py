"""The demo's panel on a window shorter than 768 pixels: its title, every scanner
button and the server's switch inside the window, none over another, the receipt
below; digits typed on the computer's keyboard are shown in the title, in sight."""

from __future__ import annotations

import pytest

from appliance.till.devconfig import sim_devices
from appliance.ui.cli import attach_devices
from tests.ui.driver import TillScreen, enrolled_till
from tests.ui.test_status_and_keyboard import type_code

pytestmark = pytest.mark.timeout(110)


def box(w) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) in window pixels."""
    x, y = w.to_window(w.x, w.y)
    return x, y, x + w.width, y + w.height


def inside(inner, outer) -> bool:
    a, b = box(inner), outer
    return a[0] >= b[0] - 0.5 and a[1] >= b[1] - 0.5 and a[2] <= b[2] + 0.5 and a[3] <= b[3] + 0.5


def test_the_demo_panel_is_whole_in_the_window_and_shows_typed_digits(server, tmp_path):
    from appliance.ui.demo import demo_side

    folder = tmp_path / "till"
    till = enrolled_till(server, folder)
    (folder / "devices.toml").write_text(sim_devices())

    def side(ctl):
        return demo_side(ctl, scan=lambda code: till.devices.sim.scanner.scan(code),
                         unplug=lambda plugged: None)  # fmt: skip

    ui = TillScreen(till, size=(1404, 660), side=side, after_start=attach_devices)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        ui.until(lambda: len([t for t in ui.tagged() if t.startswith("demo:scan:")]) == 7, 10)
        ui.frames(3)
        window = (0, 0, ui.window.width, ui.window.height)
        panel = ui.root.side.panel
        assert inside(panel, window)
        parts = [ui.find("demo:title"), ui.find("demo:unplug")]
        parts += [w for t, w in ui.tagged().items() if t.startswith("demo:scan:")]
        for w in parts:
            assert inside(w, box(panel)), (w.tag if hasattr(w, "tag") else w, box(w), box(panel))
        tops = sorted((box(w)[1], box(w)[3]) for w in parts if box(w)[0] < box(panel)[0] + 20)
        for (_b1, t1), (b2, _t2) in zip(tops, tops[1:], strict=False):
            assert t1 <= b2 + 0.5  # one column of the panel: nothing over another
        receipt = ui.root.side.receipt
        assert box(receipt)[3] <= box(panel)[1] + 0.5 and receipt.height > 100
        # digits typed for the simulated scanner: said in the title, in sight
        type_code(ui, "376", enter=False)
        assert ui.text("demo:title") == "Keyboard: 376"
        assert inside(ui.find("demo:title"), window)
    finally:
        ui.close()
