"""Invariants 1 and 2 on the till: SIGKILL (a power cut) between the outbox append
and the upload, and during an upload whose answer never reaches the till.

tests/integration/test_till_outage.py kills an online till whose PUT hangs, and
a till between two batches of a pre-filled outbox; here the sales are rung up
autonomously through the headless till and each acknowledged one is checked in
the server's journal.
"""

from __future__ import annotations

import threading

import pytest

from appliance.till.fsio import read_int
from testbed.rig import Answer, assert_exactly_once, journal

pytestmark = pytest.mark.timeout(60)


def test_killed_after_autonomous_sales_uploads_them_all_once(store, new_till, cable, barcodes):
    wire = cable(store)
    till = new_till(store, wire.url).online(wire.url)
    sold = [till.sell(barcodes[:1])]
    till.wait_event("synced", acked=1)
    till.go_autonomous(wire)
    sold += [till.sell(barcodes[i : i + 3]) for i in range(4)]
    till.kill()  # SIGKILL: the sales are in the outbox only
    assert [s["sale_id"] for s in journal(store, till.till_id)] == [sold[0]["sale_id"]]

    wire.mend()
    till.start(wire.url)
    boot = till.wait_event("boot")
    counts = (boot["last_seq"], boot["acked"], boot["pending"], boot["offline_pending"])
    assert counts == (5, 1, 4, 4)
    q = till.wait_event("question", id="send_sales", timeout=20)
    assert q["pending"] == 4
    till.send("answer", question="send_sales", answer="send")
    done = till.wait_event("upload_finished", timeout=20)
    assert (done["sent"], done["acked"]) == (4, 5)
    till.wait_event("mode", mode="ONLINE")
    sales = assert_exactly_once(store, till.till_id, sold)
    assert [s["mode"] for s in sales] == ["online"] + ["autonomous"] * 4


def test_killed_while_the_server_answers_an_upload(store, new_till, cable, barcodes):
    """The server commits the batch; the till dies before the answer arrives."""
    wire = cable(store)
    till = new_till(store, wire.url).online(wire.url)
    till.go_autonomous(wire)
    sold = [till.sell(barcodes[i : i + 2]) for i in range(6)]
    wire.mend()
    answered, release = threading.Event(), threading.Event()

    def hold(method: str, path: str, answer: Answer) -> Answer | None:
        if method == "POST" and path.endswith("/outbox"):
            answered.set()
            release.wait(30)
            return None  # the till is dead by now: nobody reads this answer
        return answer

    wire.tamper = hold
    till.send("upload")
    assert answered.wait(15), "the upload never reached the server"
    till.kill()
    release.set()
    assert len(journal(store, till.till_id)) == 6  # committed before answering
    assert read_int(till.data / "outbox.acked") == 0  # the till never heard it

    wire.tamper = None
    till.start(wire.url)
    q = till.wait_event("question", id="send_sales", timeout=20)
    assert q["pending"] == 6
    till.send("answer", question="send_sales", answer="send")
    done = till.wait_event("upload_finished", timeout=20)
    assert (done["sent"], done["acked"]) == (6, 6)  # six duplicates, held already
    till.wait_event("mode", mode="ONLINE")
    assert_exactly_once(store, till.till_id, sold)
