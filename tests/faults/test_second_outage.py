"""A second outage in the same run is handled like the first: the till asks
"send N sales?" again when the server comes back, unless the cashier said
"later" to that very question."""

from __future__ import annotations

import pytest

from testbed.rig import assert_exactly_once

pytestmark = pytest.mark.timeout(90)


def _outage(till, wire, barcodes, first: int) -> list[dict]:
    till.go_autonomous(wire)
    sold = [till.sell(barcodes[first + i : first + i + 2]) for i in range(2)]
    wire.mend()  # the server answers again: the till's health check notices it
    q = till.wait_event("question", id="send_sales", timeout=20)
    assert q["pending"] == 2, q
    till.send("answer", question="send_sales", answer="send")
    till.wait_event("upload_finished", timeout=20)
    till.wait_event("mode", mode="ONLINE")
    return sold


def test_the_upload_question_comes_back_after_each_outage(store, new_till, cable, barcodes):
    wire = cable(store)
    till = new_till(store, wire.url).online(wire.url)
    sold = [till.sell(barcodes[:1])]
    till.wait_event("synced", acked=1, timeout=10, past=True)  # not cut mid-sending
    sold += _outage(till, wire, barcodes, 1)
    sold += _outage(till, wire, barcodes, 5)  # the same run: asked again
    assert_exactly_once(store, till.till_id, sold)
