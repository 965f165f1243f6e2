"""Invariant 7: no article is created on a till in autonomous mode, and the till
says why; a kitchen ticket is refused too (the shared printers are reached
through the server). The cable is plugged back in before the refusals: the
till notices its server answers again and asks once whether to send its
sales; the cashier says "later", and from then on the till, still autonomous,
sends the server nothing but that health check."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)

NEW_CODE = "2000000099991"


def test_no_article_creation_and_no_kitchen_ticket_while_autonomous(
    store, new_till, cable, barcodes
):
    wire = cable(store)
    till = new_till(store, wire.url).online(wire.url)
    till.go_autonomous(wire)
    wire.mend()
    till.wait_event("question", timeout=15, id="send_sales")
    till.send("answer", question="send_sales", answer="later")
    till.wait_event("answered", question="send_sales", answer="later")
    relayed = len(wire.seen)
    jobs = store.api("GET", "/api/v1/print-jobs").json()

    till.send("scan", code=barcodes[0])
    line = till.wait_event("line_added")["line"]
    article = {"name": "Tarte du jour", "price": 350, "vat_bp": 550, "category": "patisseries",
               "barcodes": [NEW_CODE]}  # fmt: skip
    till.send("create_article", article=article)
    err = till.wait_event("error")
    assert err["code"] == "autonomous_no_article_creation"
    assert "autonomous" in err["message"] and "server" in err["message"]
    till.send("kitchen", table="12", covers=2, note="no onions")
    err = till.wait_event("error")
    assert err["code"] == "printers_out_of_reach"
    assert "autonomous" in err["message"] and "printers" in err["message"]

    till.send("scan", code=NEW_CODE)
    assert till.wait_event("error")["code"] == "unknown_barcode"  # not created locally
    till.send("status")
    status = till.wait_event("status")
    assert status["mode"] == "AUTONOMOUS"
    assert [ln["article_id"] for ln in status["sale"]["lines"]] == [line["article_id"]]
    till.send("pay", method="cash", amount=100_00)
    assert till.wait_event("sale_closed")["mode"] == "autonomous"

    assert wire.seen[relayed:] == []  # after "later", not one request left the till
    assert NEW_CODE.encode() not in (till.data / "snapshot" / "current.json").read_bytes()
    r = store.api("GET", f"/api/v1/barcodes/{NEW_CODE}")
    assert (r.status_code, r.json()["error"]) == (404, "unknown_barcode")
    assert store.api("GET", "/api/v1/print-jobs").json() == jobs  # no ticket queued
