"""Invariant 7: no article is created on a till in autonomous mode, and the till
says why; a kitchen ticket is refused too (the shared printers are reached
through the server). While the cable is out, both are refused and nothing is made
locally. Once it is plugged back, the till notices its server answers and asks once
whether to send its sales; the cashier says "later": the till, still autonomous,
creates the article on the server (never on itself) and sends the kitchen ticket
there, and its sales still wait for the upload: not one goes up before it."""

from __future__ import annotations

import pytest

from testbed.rig import journal

pytestmark = pytest.mark.timeout(60)

NEW_CODE = "2000000099991"
ARTICLE = {"name": "Tarte du jour", "price": 350, "vat_bp": 550, "category": "patisseries",
           "barcodes": [NEW_CODE]}  # fmt: skip


def test_no_article_creation_and_no_kitchen_ticket_while_the_server_is_out(
    store, new_till, cable, barcodes
):
    wire = cable(store)
    till = new_till(store, wire.url).online(wire.url)
    till.go_autonomous(wire)
    jobs = store.api("GET", "/api/v1/print-jobs").json()

    till.send("scan", code=barcodes[0])
    line = till.wait_event("line_added")["line"]
    till.send("create_article", article=ARTICLE)
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
    closed = till.wait_event("sale_closed")
    assert closed["mode"] == "autonomous"
    assert NEW_CODE.encode() not in (till.data / "snapshot" / "current.json").read_bytes()
    r = store.api("GET", f"/api/v1/barcodes/{NEW_CODE}")
    assert (r.status_code, r.json()["error"]) == (404, "unknown_barcode")
    assert store.api("GET", "/api/v1/print-jobs").json() == jobs  # no ticket queued

    # plugged back, "later": what needs the server goes to it, the sales wait
    relayed = len(wire.seen)
    wire.mend()
    till.wait_event("question", timeout=15, id="send_sales")
    till.send("answer", question="send_sales", answer="later")
    till.wait_event("answered", question="send_sales", answer="later")
    till.send("create_article", article=ARTICLE)
    made = till.wait_event("article_created", timeout=15)["article"]
    r = store.api("GET", f"/api/v1/barcodes/{NEW_CODE}")
    assert r.status_code == 200 and r.json()["article_id"] == made["article_id"]
    assert NEW_CODE.encode() not in (till.data / "snapshot" / "current.json").read_bytes()
    sent = [p for m, p in wire.seen[relayed:] if m == "PUT" or "upload" in p or "/sales" in p]
    assert sent == []  # not one sale went up before the upload
    online = {s["sale_id"] for s in journal(store, till.till_id)}
    assert closed["sale_id"] not in online  # the autonomous sale waits for the upload
    till.send("status")
    assert till.wait_event("status")["pending"] == 1
    till.send("upload")
    till.wait_event("upload_finished", timeout=30)
    assert [s["sale_id"] for s in journal(store, till.till_id)].count(closed["sale_id"]) == 1
