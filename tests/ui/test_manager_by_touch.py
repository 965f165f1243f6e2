"""A manager's approval by touch on the real screens, against the real store server
(the demo store: above 20 % of discount, a void above 10.00, a cancel after a payment
line, a manager is asked): the manager dialog, a wrong PIN, the right one."""

from __future__ import annotations

import pytest

from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)

DISH = "A104"  # Plat du jour, 12.50


def ring(ui: TillScreen, article: str) -> None:
    screens = ui.till.catalogue.screens
    page = next(
        i for i, p in enumerate(screens) if any(b["article_id"] == article for b in p["buttons"])
    )
    ui.touch(f"tab:{page}")
    ui.touch(f"product:{article}")
    ui.idle()


def test_a_big_discount_waits_for_a_manager_pin_typed_on_the_till(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        ring(ui, DISH)
        ui.ctl.select(0)
        ui.touch("sale:line_discount")
        ui.touch("discount:kind:percent")
        ui.type("discount:key", "50")
        ui.touch("discount:apply")
        ui.idle()
        assert ui.has("manager") and ui.text("manager:why") == "This discount needs a manager."
        assert ui.ctl.state.sale["lines"][0]["discount"] == 0
        # the cashier's own PIN approves nothing
        assert not ui.has("manager:c1")
        ui.touch("manager:m1")
        ui.type("mpin", "1234")
        ui.touch("manager:ok")
        ui.idle()
        assert not ui.has("manager")
        assert ui.text("message") == "Not a manager's PIN: nothing was changed."
        assert ui.ctl.state.sale["lines"][0]["discount"] == 0
        # again, with the manager's PIN
        ui.touch("sale:line_discount")
        ui.touch("discount:kind:percent")
        ui.type("discount:key", "50")
        ui.touch("discount:apply")
        ui.idle()
        ui.touch("manager:m1")
        ui.type("mpin", "9876")
        ui.touch("manager:ok")
        ui.idle()
        assert ui.ctl.state.sale["lines"][0]["discount"] == 625
        ui.touch("sale:pay")
        ui.touch("pay:card")
        record = ui.event("sale_closed")["record"]
        assert [(a["action"], a["manager_id"]) for a in record["approvals"]] == [("discount", "m1")]
    finally:
        ui.close()


def test_cancel_asks_and_after_a_payment_line_needs_a_manager(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        ring(ui, DISH)
        ui.touch("sale:cancel")  # a question first: "No" keeps the sale
        assert ui.has("cancel") and ui.text("cancel:text") == "Its line goes."
        ui.touch("cancel:no")
        ui.idle()
        assert len(ui.ctl.state.sale["lines"]) == 1
        # 5.00 in cash, then back to the sale and cancel: a manager
        ui.touch("sale:pay")
        ui.type("paykey", "5")
        ui.touch("pay:cash")
        ui.idle()
        ui.type("paykey", "2")
        ui.touch("pay:cash")
        ui.idle()
        assert ui.ctl.state.sale["paid"] == 700 and ui.has("payment:remove:1")
        # a payment line taken by mistake comes off alone
        ui.touch("payment:remove:1")
        ui.idle()
        assert ui.ctl.state.sale["paid"] == 500 and not ui.has("payment:remove:1")
        assert ui.text("payment:0") == "Cash: €5.00"
        removed = [e["data"] for e in till.events.all() if e["type"] == "payment_removed"]
        assert removed == [{"cashier_id": "c1", "method": "cash", "amount": 200}]
        ui.touch("pay:back")
        ui.touch("sale:cancel")
        assert "€5.00 was paid" in ui.text("cancel:text")
        ui.touch("cancel:yes")
        ui.idle()
        assert ui.has("manager") and ui.text("manager:why").startswith("Cancelling")
        ui.touch("manager:m1")
        ui.type("mpin", "9876")
        ui.touch("manager:ok")
        cancelled = ui.event("sale_cancelled", journaled=True)
        assert cancelled["paid"] == 500 and cancelled["approval"]["manager_id"] == "m1"
        assert ui.ctl.state.sale["lines"] == [] and ui.ctl.state.sale["paid"] == 0
        kept = [e for e in till.events.all() if e["type"] == "sale_cancelled"]
        assert [e["event_id"] for e in kept] == [cancelled["event_id"]]
        assert kept[0]["data"]["payments"] == [{"method": "cash", "amount": 500}]
        # the till's X report counts it
        ui.touch("fn:logout")
        ui.login("m1", "9876")
        ui.touch("fn:xreport")
        ui.until(lambda: ui.has("xreport:body"), 10, "the X report")
        assert "Cancelled sales: 1, €12.50" in ui.text("xreport:body")
    finally:
        ui.close()


def test_wrong_pins_lock_the_login_said_in_french_and_the_pin_alone_logs_in(server, tmp_path):
    rules = {"pin_tries": 2, "pin_lock_s": 30, "pin_only_login": True}
    server.api("PUT", "/api/v1/till-rules", json=rules).raise_for_status()
    server.api("POST", "/api/v1/snapshot/build").raise_for_status()
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr")
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE" and ui.has("cashier:c1"), 20)
        assert ui.text("login:hint") == "Tapez votre code (ou touchez d'abord votre nom)."
        for pin in ("1111", "2222"):
            ui.type("pin", pin)
            ui.touch("login:ok")
            ui.idle()
        assert ui.text("message") == (
            "Trop de codes erronés : attendez 30 s avant le prochain essai."
        )
        ui.type("pin", "1234")  # the right PIN waits too
        ui.touch("login:ok")
        ui.idle()
        assert ui.screen() == "login" and "attendez" in ui.text("message")
        # the wait over (the lock's file says when it ends), the PIN alone logs in
        lock = till.register.pin_guard
        lock.state.locked_until = 0
        ui.type("pin", "1234")
        ui.touch("login:ok")
        ui.until(lambda: ui.screen() == "sale", 20, "the sale screen")
        assert ui.ctl.state.cashier["cashier_id"] == "c1"
    finally:
        ui.close()


def test_a_card_payment_waits_for_what_the_terminal_said(server, tmp_path):
    server.api("PUT", "/api/v1/till-rules", json={"card_confirmation": True}).raise_for_status()
    server.api("POST", "/api/v1/snapshot/build").raise_for_status()
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        ring(ui, DISH)
        ui.touch("sale:pay")
        ui.touch("pay:card")
        ui.idle()
        assert ui.has("card") and "€12.50" in ui.text("card:text")
        assert ui.ctl.state.sale["paid"] == 0
        ui.touch("card:refused")
        ui.idle()
        assert not ui.has("card") and ui.screen() == "payment"
        assert ui.text("message").startswith("Card refused: nothing was taken.")
        assert ui.ctl.state.sale["paid"] == 0 and ui.ctl.state.last_closed is None
        assert not [e for e in ui.events if e["event"] == "sale_closed"]
        ui.touch("pay:card")
        ui.idle()
        ui.touch("card:accepted")
        record = ui.event("sale_closed")["record"]
        assert record["payments"] == [{"method": "card", "amount": 1250}]
    finally:
        ui.close()
