"""A refund by touch, on the real screens against a real server: the sale found from
its ticket number typed on the keypad, a line chosen, refunded to the card it was
paid with; a larger cash refund approved by a manager's PIN in the dialog; an
unknown ticket refused in the cashier's language, nothing recorded."""

from __future__ import annotations

import pytest

from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)

DISH = "A104"  # Plat du jour, 12.50
BEER = "A139"  # Bière pression 25 cl, 3.50


def _after(ui: TillScreen, name: str, start: int, timeout: float = 15) -> dict:
    def seen():
        return next((e for e in ui.events[start:] if e.get("event") == name), None)

    return ui.until(seen, timeout, f"event {name}")


def _sell(ui: TillScreen, method: str, *lines: tuple[str, int]) -> dict:
    till = ui.till
    n = len(ui.events)

    def ring():
        for article, quantity in lines:
            till.add(article, quantity)
        till.pay(method)

    ui.ctl.worker.submit(ring)
    return _after(ui, "sale_closed", n)


def _find(ui: TillScreen, ticket: str) -> int:
    n = len(ui.events)
    ui.type("rkey", ticket)
    ui.touch("refund:find")
    return n


def test_a_refund_by_touch_then_one_a_manager_approves(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr")
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        sale = _sell(ui, "card", (DISH, 1), (BEER, 2))
        ui.touch("fn:refund")
        assert ui.screen() == "refund"
        # an unknown ticket: said in French, nothing recorded
        n = _find(ui, "999")
        assert _after(ui, "error", n)["code"] == "unknown_ticket"
        ui.frames(2)
        assert ui.find("message").text == "Aucune vente 999 dans le journal du magasin."
        n = _find(ui, str(sale["seq"]))
        found = _after(ui, "refund_found", n)
        assert found["sale_id"] == sale["sale_id"]
        ui.idle()
        assert "reste 2" in ui.text("rline:1")
        ui.touch("rplus:1")
        ui.touch("rplus:1")
        ui.touch("rplus:1")  # no more than was sold: the third does nothing
        assert "à rembourser 2" in ui.text("rline:1")
        assert ui.find("refund:ok").label == "Rembourser 7,00 €"
        n = len(ui.events)
        ui.touch("refund:ok")
        done = _after(ui, "refund_closed", n)
        assert done["total"] == 700 and done["method"] == "card"
        ui.screenshot(tmp_path / "refund.png")
        # above 50,00 € in cash: the manager's PIN
        big = _sell(ui, "cash", (DISH, 5))
        n = _find(ui, str(big["seq"]))
        _after(ui, "refund_found", n)
        ui.idle()
        for _ in range(5):
            ui.touch("rplus:0")
        n = len(ui.events)
        ui.touch("refund:ok")
        assert _after(ui, "error", n)["code"] == "manager_needed"
        ui.until(lambda: "manager" in ui.dialogs(), 10, "the manager's dialog")
        ui.touch("manager:who:m1")
        ui.type("mpin", "9876")
        n = len(ui.events)
        ui.touch("manager:ok")
        approved = _after(ui, "refund_closed", n)
        assert approved["total"] == 6250 and approved["record"]["approved_by"] == "m1"
        assert approved["record"]["payments"] == [{"method": "cash", "amount": 6250}]
        records = till.outbox.sales()
        assert [r["kind"] for r in records] == ["sale", "refund", "sale", "refund"]
    finally:
        ui.close()
