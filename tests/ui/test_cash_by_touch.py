"""Cash control by touch, on the real screens against a real server: the opening float
typed on the cash dialog's keypad, a count with a decimal comma refused by name and
nothing recorded, then the drawer counted note by note and coin by coin; the X report
shows the float, the expected cash and the difference."""

from __future__ import annotations

import pytest

from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)

BEER = "A139"  # Bière pression 25 cl, 3.50


def _after(ui: TillScreen, name: str, start: int, timeout: float = 15) -> dict:
    def seen():
        return next((e for e in ui.events[start:] if e.get("event") == name), None)

    return ui.until(seen, timeout, f"event {name}")


def _type(ui: TillScreen, digits: str) -> None:
    for key in digits:
        ui.touch(f"cashkey:{key}")


def test_float_and_count_of_the_drawer_by_touch(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr")
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("m1", "9876")  # a manager: the count is theirs
        ui.touch("fn:cash")
        ui.until(lambda: "cash" in ui.dialogs(), 10, "the cash dialog")
        n = len(ui.events)
        _type(ui, "150")
        ui.touch("cash:float")
        assert _after(ui, "cash_recorded", n)["record"]["amount"] == 15_000
        ui.idle()
        assert ui.text("cash:expected") == "Attendu dans le tiroir\u00a0: 150,00 €"
        # a cash sale: 3,50 more in the drawer
        n = len(ui.events)
        ui.ctl.worker.submit(lambda: [till.add(BEER), till.pay("cash", 500)])
        _after(ui, "sale_closed", n)
        # 2,5 pieces of 50 €: refused by name, nothing recorded
        seq = till.outbox.last_seq
        ui.touch("cash:d:5000")
        _type(ui, "2,5")
        ui.touch("cash:pieces")
        n = len(ui.events)
        ui.touch("cash:count")
        assert _after(ui, "error", n)["code"] == "bad_count"
        ui.idle()
        assert "nombre entier" in ui.text("cash:note")
        assert till.outbox.last_seq == seq and "cash" in ui.dialogs()
        # counted again: 3 × 50 €, then 2 € and 1 € (the next coins chosen by themselves)
        ui.touch("cash:d:5000")
        _type(ui, "3")
        ui.touch("cash:pieces")
        ui.touch("cash:d:200")
        _type(ui, "1")
        ui.touch("cash:pieces")
        assert ui.text("cash:d:100") == "1,00 € × 0"  # chosen next
        _type(ui, "1")
        ui.touch("cash:pieces")
        ui.idle()
        assert ui.text("cash:note") == "Compté\u00a0: 153,00 €"
        n = len(ui.events)
        ui.touch("cash:count")
        count = _after(ui, "cash_recorded", n)
        assert count["record"]["counted"] == {"5000": 3, "200": 1, "100": 1}
        assert count["cash_difference"] == 15_300 - 15_350 == -50
        ui.until(lambda: "cash" not in ui.dialogs(), 10, "the dialog closed")
        ui.touch("fn:xreport")
        ui.until(lambda: ui.has("xreport:body"), 10, "the X report")
        body = ui.text("xreport:body")
        assert "Fond de caisse\u00a0: 150,00 €" in body and "Écart\u00a0: -0,50 €" in body
        ui.screenshot(tmp_path / "cash.png")
    finally:
        ui.close()
