"""Held orders by touch, on the real screens against a real server: a sale held from
the dialog, the next customer served and paid, the held sale taken back as it was
and paid; the held order still there after the till is restarted."""

from __future__ import annotations

import pytest

from appliance.till import Till
from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)

DISH = "A104"  # Plat du jour, 12.50
BEER = "A139"  # Bière pression 25 cl, 3.50


def _after(ui: TillScreen, name: str, start: int, timeout: float = 15) -> dict:
    def seen():
        return next((e for e in ui.events[start:] if e.get("event") == name), None)

    return ui.until(seen, timeout, f"event {name}")


def _ring(ui: TillScreen, *articles: str) -> None:
    n = len(ui.events)
    ui.ctl.worker.submit(lambda: [ui.till.add(a) for a in articles])
    for _ in articles:
        n = ui.events.index(_after(ui, "line_added", n)) + 1
    ui.idle()


def test_hold_serve_the_next_and_take_it_back_even_after_a_restart(server, tmp_path):
    folder = tmp_path / "till"
    till = enrolled_till(server, folder)
    ui = TillScreen(till, lang="fr")
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        _ring(ui, DISH, BEER)
        ui.touch("fn:held")
        ui.until(lambda: "held" in ui.dialogs(), 10, "the held orders' dialog")
        n = len(ui.events)
        ui.touch("held:park")
        held = _after(ui, "sale_held", n)["held"]
        ui.until(lambda: "held" not in ui.dialogs(), 10, "the dialog closed")
        ui.idle()
        assert ui.ctl.state.sale["lines"] == []
        # the next customer
        _ring(ui, BEER)
        n = len(ui.events)
        ui.ctl.worker.submit(lambda: till.pay("card"))
        assert _after(ui, "sale_closed", n)["total"] == 350
        # the held one back
        ui.touch("fn:held")
        ui.until(lambda: ui.has(f"held:{held['held_id']}"), 10, "the held order listed")
        assert "2 articles · 16,00 €" in ui.text(f"held:{held['held_id']}")
        ui.screenshot(tmp_path / "held.png")
        ui.touch("held:close")
    finally:
        ui.close()
    # the till restarted: the held order is still there, and taken back by touch
    again = Till(folder, server_hint=server.url, mdns=False)
    ui = TillScreen(again, lang="fr")
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        ui.touch("fn:held")
        ui.until(lambda: ui.has(f"held:{held['held_id']}"), 10, "the held order listed")
        n = len(ui.events)
        ui.touch(f"held:{held['held_id']}")
        _after(ui, "sale_resumed", n)
        ui.idle()
        assert [ln["article_id"] for ln in ui.ctl.state.sale["lines"]] == [DISH, BEER]
        assert ui.text("sale:total") == "16,00 €"
        n = len(ui.events)
        ui.ctl.worker.submit(lambda: again.pay("cash", 2000))
        assert _after(ui, "sale_closed", n)["change"] == 400
    finally:
        ui.close()
