"""A sale rung up and paid by touch, on the real till core against a real server."""

from __future__ import annotations

import time

import pytest

from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)


def article_id(till, name: str) -> str:
    return next(a for a, row in till.catalogue.articles.items() if row["name"] == name)


def journal(server) -> list[dict]:
    r = server.api("GET", "/api/v1/journal", params={"limit": 100})
    r.raise_for_status()
    return r.json()["sales"]


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not (got := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
    return got


def test_a_full_sale_paid_in_cash_shows_the_change(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        assert ui.has("pin:7") and not ui.has("pin:,")  # a PIN pad has no decimal comma
        ui.login("c1", "1234")
        assert ui.text("status:mode") == "Online"
        # a product button of the first page
        baguette = article_id(till, "Baguette")
        ui.touch("tab:0")
        ui.touch(f"product:{baguette}")
        ui.event("line_added")
        # "3 ×" then a product of another page
        ui.type("key", "3")
        ui.touch("key:quantity")
        ui.touch("tab:2")  # Viennoiseries (after Favoris and Pains)
        croissant = article_id(till, "Croissant")
        ui.touch(f"product:{croissant}")
        # a barcode typed by hand
        expresso = till.catalogue.articles[article_id(till, "Expresso")]
        ui.type("key", expresso["barcodes"][0])
        ui.touch("key:code")
        ui.idle()
        lines = ui.ctl.state.sale["lines"]
        assert [(ln["name"], ln["quantity"]) for ln in lines] == [
            ("Baguette", 1),
            ("Croissant", 3),
            ("Expresso", 1),
        ]
        total = 110 + 3 * 110 + 150
        assert ui.ctl.state.sale["total"] == total
        assert ui.text("sale:total") == "€5.90"
        # pay: a 10 € note
        ui.touch("sale:pay")
        assert ui.screen() == "payment"
        assert ui.text("pay:due") == "€5.90"
        ui.touch("cash:1000")
        closed = ui.event("sale_closed")
        assert closed["total"] == total and closed["change"] == 1000 - total
        ui.frames(2)
        assert ui.text("pay:due") == "€4.10"  # the change due, large
        assert ui.find("pay:new_sale").opacity == 1
        sales = wait_for(lambda: journal(server))
        assert [(s["sale_id"], s["total"]) for s in sales] == [(closed["sale_id"], total)]
        assert sales[0]["payments"] == [{"method": "cash", "amount": 1000}]
        ui.touch("pay:new_sale")
        assert ui.screen() == "sale"
        assert ui.text("sale:total") == "€0.00"
    finally:
        ui.close()


def test_a_price_typed_on_the_keypad_and_what_became_of_a_kitchen_order(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        ui.touch("tab:0")
        ui.touch(f"product:{article_id(till, 'Baguette')}")
        ui.event("line_added")
        ui.idle()
        ui.type("key", "2,5")
        ui.touch("key:price")  # no line chosen: said, nothing changed
        ui.idle()
        assert "type its price" in ui.text("message")
        assert ui.ctl.state.sale["lines"][0]["unit_price"] == 110
        ui.ctl.select(0)
        ui.type("key", "2,5")
        ui.touch("key:price")
        ui.idle()
        assert ui.ctl.state.sale["lines"][0]["unit_price"] == 250
        assert ui.text("sale:total") == "€2.50"
        # the server's answer about an order: the kitchen printer dead, the bar printed it
        ui.ctl.on_kitchen_status(
            {"event": "kitchen_status", "status": "printed", "ok": True, "ended": True,
             "printers": [{"printer_id": "cuisine", "printer": "Cuisine", "state": "printed",
                           "sent_to": "bar"}]}
        )  # fmt: skip
        ui.frames(2)
        assert ui.text("message") == "Cuisine does not answer: the ticket went to Bar."
        ui.ctl.on_kitchen_status(
            {"event": "kitchen_status", "status": "failed", "ok": False, "ended": True,
             "printers": [{"printer_id": "bar", "printer": "Bar", "state": "failed",
                           "sent_to": "cuisine"}]}
        )  # fmt: skip
        ui.frames(2)
        assert ui.text("message") == "Bar: nothing printed. Tell them by voice."
    finally:
        ui.close()
