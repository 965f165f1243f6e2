"""Invariant 3: per till, seqs have no gaps, and the server shows which ones it has
not received yet ("till N: sales a-b pending") while they wait on a till that
worked alone, and nothing once they are uploaded."""

from __future__ import annotations

import pytest

from appliance.processes import autonome
from testbed.rig import assert_exactly_once, journal, listed

pytestmark = pytest.mark.timeout(60)


def test_the_server_lists_the_sales_waiting_on_an_autonomous_till(store, new_till, cable, barcodes):
    wire = cable(store)
    till = new_till(store, wire.url).online(wire.url)
    sold = [till.sell(barcodes[i : i + 2]) for i in range(2)]
    till.wait_event("synced", acked=2)
    assert listed(store, "pending", till.till_id) == []
    till.go_autonomous(wire)
    sold += [till.sell(barcodes[i : i + 3]) for i in range(3)]
    assert [s["seq"] for s in sold] == [1, 2, 3, 4, 5]  # no gap across the mode change
    till.quit()

    wire.mend()
    till.start(wire.url)  # its discovery probe tells the server its last seq
    till.wait_event("question", id="send_sales", timeout=20)
    text = f"till {till.till_id}: sales 3-5 pending"
    [entry] = listed(store, "pending", till.till_id)
    assert (entry["ranges"], entry["text"]) == ([[3, 5]], text)
    assert text in autonome("server", "pending", "--data", str(store.data))

    till.send("answer", question="send_sales", answer="later")
    till.wait_event("mode", mode="AUTONOMOUS")
    assert [e["text"] for e in listed(store, "pending", till.till_id)] == [text]
    assert len(journal(store, till.till_id)) == 2

    till.send("upload")
    assert till.wait_event("upload_finished", timeout=20)["acked"] == 5
    till.wait_event("mode", mode="ONLINE")
    assert_exactly_once(store, till.till_id, sold)  # pending for this till: none
    assert text not in autonome("server", "pending", "--data", str(store.data))
