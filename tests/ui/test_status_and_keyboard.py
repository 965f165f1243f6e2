"""The status bar names the store server; the physical keyboard rings codes: on the
sale screen as a keyboard-wedge scanner types them, in the demo through the
simulated USB scanner (F1..F6 for the panel's articles, digits then Enter)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from appliance.till.devconfig import sim_devices
from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)


def test_the_status_bar_names_the_server_its_address_below(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    server_id = till.config.server_id
    assert server_id
    ui = TillScreen(till)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.frames(2)
        assert ui.text("status:server") == f"Server: {server_id}"
        address = ui.text("status:server_address")
        assert address == urlsplit(server.url).netloc  # 127.0.0.1:PORT, small, for a technician
        assert address not in ui.text("status:server")
        assert ui.find("status:server_address").font_size < ui.find("status:server").font_size
    finally:
        ui.close()


DEVICES = sim_devices()


def press(ui, key: int, codepoint: str | None = None) -> None:
    """One key of the physical keyboard, as SDL hands it to Kivy's window."""
    ui.window.dispatch("on_key_down", key, 0, codepoint, [])
    if codepoint:
        ui.window.dispatch("on_textinput", codepoint)
    ui.window.dispatch("on_key_up", key, 0)
    ui.frames(1)


def type_code(ui, code: str, enter: bool = True) -> None:
    for digit in code:
        press(ui, ord(digit), digit)
    if enter:
        press(ui, 13)


F1 = 282


def barcode_of(till, name: str) -> str:
    row = next(a for a in till.catalogue.articles.values() if a["name"] == name)
    return row["barcodes"][0]


def test_the_demo_panel_reads_the_keyboard_through_the_simulated_scanner(server, tmp_path):
    from appliance.ui.cli import attach_devices
    from appliance.ui.demo import demo_side
    from appliance.ui.keys import key_router

    folder = tmp_path / "till"
    till = enrolled_till(server, folder)
    (folder / "devices.toml").write_text(DEVICES)
    read: list[str] = []

    def scan(code: str) -> None:
        read.append(code)
        till.devices.sim.scanner.scan(code)

    sides = []

    def side(ctl):
        sides.append(demo_side(ctl, scan=scan))
        return sides[0]

    ui = TillScreen(till, size=(1404, 768), side=side, after_start=attach_devices)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("m1", "9876")  # a manager: the new-article form has text fields
        ui.until(lambda: ui.ctl.state.devices.get("scanner", {}).get("state") == "connected", 10)
        panel = sides[0].panel
        first = panel.shortcuts[0]
        assert len(panel.shortcuts) == 6
        assert ui.find(f"demo:scan:{first}").label.startswith("F1 ")
        assert ui.find("demo:scan:2000000000008").label == "Unknown code"  # no key for it

        # F1: the first article's code, typed by the simulated USB scanner, read by the
        # device layer (scanner_code), rung up
        press(ui, F1)
        ui.event("scanner_code", code=first)
        line = ui.event("line_added")
        assert line["line"]["article_id"] == till.catalogue.by_barcode(first)["article_id"]

        # digits then Enter: one code through the same scanner
        expresso = barcode_of(till, "Expresso")
        assert expresso.startswith("3760")
        type_code(ui, expresso, enter=False)
        assert ui.text("demo:title") == f"Keyboard: {expresso}"
        press(ui, 13)
        assert ui.text("demo:title") == "Demo: simulated scanner"
        ui.event("scanner_code", code=expresso)
        ui.until(lambda: len(ui.ctl.state.sale["lines"]) == 2, 10, "the second line")
        ui.idle()
        ui.frames(20)
        assert read == [first, expresso]  # the sale screen did not ring the digits too
        assert [ln["name"] for ln in ui.ctl.state.sale["lines"]] == [
            till.catalogue.by_barcode(first)["name"],
            "Expresso",
        ]

        # a text field with the focus keeps its keys: nothing is scanned
        ui.touch("fn:article")
        field = ui.find("article:barcode")
        field.focus = True
        ui.frames(2)
        type_code(ui, "3760123", enter=False)
        press(ui, F1)
        press(ui, 13)
        ui.frames(10)
        assert field.text == "3760123"
        assert read == [first, expresso]
        assert panel.typed.digits == ""
        ui.touch("article:close")
        ui.until(lambda: not ui.has("article:close"), 5, "the form closed")

        # off the window, then closed: the panel takes no key
        root = ui.root
        root.remove_widget(sides[0])
        ui.frames(2)
        press(ui, F1)
        type_code(ui, "3760", enter=False)
        assert read == [first, expresso] and panel.typed.digits == ""
        panel.close()
        assert panel.typed_key not in key_router().handlers
        assert root.sale.typed_key in key_router().handlers
    finally:
        ui.close()


def test_a_keyboard_wedge_scanner_rings_up_on_the_sale_screen(server, tmp_path):
    import time

    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        scans: list[str] = []
        scan = ui.ctl.scan
        ui.ctl.scan = lambda code: (scans.append(code), scan(code))[1]
        expresso = barcode_of(till, "Expresso")
        type_code(ui, expresso)  # on the login screen: nobody to sell for
        ui.login("c1", "1234")
        assert ui.ctl.state.sale["lines"] == []
        # a code typed at a scanner's pace, then Enter: rung up
        type_code(ui, expresso)
        line = ui.event("line_added")
        assert line["line"]["name"] == "Expresso"
        # a hand's pace (a pause longer than a scanner's between two digits): nothing
        for digit in expresso[:6]:
            press(ui, ord(digit), digit)
            time.sleep(0.3)
        press(ui, 13)
        # too short to be a code; then a dialog open: nothing
        type_code(ui, "12")
        ui.touch("sale:sale_discount")
        ui.until(lambda: len(ui.window.children) > 1, 5, "the discount dialog")
        type_code(ui, expresso)
        ui.idle()
        ui.frames(10)
        assert scans == [expresso]
        assert [ln["name"] for ln in ui.ctl.state.sale["lines"]] == ["Expresso"]
        assert ui.ctl.state.provisional == {}
    finally:
        ui.close()


def test_typed_codes_digits_then_enter_within_the_gap():
    from appliance.ui.keys import TypedCode, function_key

    now = [0.0]
    typed = TypedCode(0.2, min_digits=4, clock=lambda: now[0])

    def keys(text: str, step: float = 0.01) -> list[tuple[bool, str | None]]:
        out = []
        for ch in text:
            now[0] += step
            out.append(typed.key(13, None) if ch == "\n" else typed.key(ord(ch), ch))
        return out

    assert keys("3760\n")[-1] == (True, "3760")
    assert keys("376\n")[-1] == (True, None)  # too short: taken, not a code
    assert keys("\n") == [(False, None)]  # Enter alone is not ours
    assert keys("12a34\n")[-1] == (True, None)  # a letter starts again: "34"
    assert keys("1234", step=0.3) and typed.digits == "4"  # a pause starts again
    typed.reset()
    # the keypad's digits (Kivy's 256..265) and its Enter (271)
    for key in (259, 263, 262, 256):
        typed.key(key, None)
    assert typed.key(271, None) == (True, "3760")
    assert (function_key(282), function_key(287), function_key(13)) == (1, 6, None)
