"""Invariant 6: one bad record never blocks the queue behind it.

A till's outbox, after a day alone, holds five sales; on disk, sale 2's line
rotted (its checksum no longer matches: the till sends it raw) and sale 4's
record is malformed (no payments) under a valid checksum. The upload is one
batch: the server quarantines both, stores the other three, and its contiguous
seq passes over the two, so the till's queue empties and nothing stays pending.
"""

from __future__ import annotations

import orjson
import pytest

from appliance.domain import verify_chain
from appliance.till.fsio import encode_line
from testbed.rig import journal, listed

pytestmark = pytest.mark.timeout(60)


def test_a_rotten_and_a_malformed_record_do_not_block_the_batch(store, new_till, cable, barcodes):
    wire = cable(store)
    till = new_till(store, wire.url).online(wire.url)
    till.go_autonomous(wire)
    sold = [till.sell(barcodes[i : i + 2]) for i in range(5)]
    till.quit()

    outbox = till.data / "outbox.log"
    lines = outbox.read_bytes().splitlines(keepends=True)
    assert b'"mode":"autonomous"' in lines[1]
    lines[1] = lines[1].replace(b'"mode":"autonomous"', b'"mode":"autonomouz"')  # bit rot
    malformed = orjson.loads(lines[3][17:])
    del malformed["payments"]
    lines[3] = encode_line(orjson.dumps(malformed))
    outbox.write_bytes(b"".join(lines))

    wire.mend()
    till.start(wire.url)
    repaired = till.wait_event("outbox_repaired")
    assert (repaired["torn_bytes"], repaired["kept_aside"]) == (0, 1)
    q = till.wait_event("question", id="send_sales", timeout=20)
    assert q["pending"] == 5
    till.send("answer", question="send_sales", answer="send")
    done = till.wait_event("upload_finished", timeout=20)
    assert (done["sent"], done["acked"]) == (5, 5)
    aside = [e for e in till.history if e["event"] == "kept_aside"]
    assert [(e["seq"], e["status"], e["raw"]) for e in aside] == [
        (2, "quarantined", True),
        (4, "quarantined", False),
    ]
    till.wait_event("mode", mode="ONLINE")

    sales = journal(store, till.till_id)
    assert [s["sale_id"] for s in sales] == [sold[i]["sale_id"] for i in (0, 2, 4)]
    assert [s["hash"] for s in sales] == [sold[i]["hash"] for i in (0, 2, 4)]
    assert verify_chain(sales) == []
    held = listed(store, "quarantine", till.till_id)
    assert sorted((q["seq"], q["reason"]) for q in held) == [(2, "unreadable"), (4, "malformed")]
    assert sold[3]["sale_id"] in next(q["raw"] for q in held if q["seq"] == 4)
    assert listed(store, "pending", till.till_id) == []
    tills = {t["till_id"]: t for t in store.api("GET", "/api/v1/tills").json()}
    assert tills[till.till_id]["contiguous_seq"] == 5  # past both quarantined seqs
    assert listed(store, "integrity", till.till_id) == []

    till.send("login", cashier="c1", pin="1234")
    till.wait_event("logged_in")
    nxt = till.sell(barcodes[:1])  # the queue goes on behind them
    assert nxt["seq"] == 6
    till.wait_event("synced", acked=6)
    assert [s["seq"] for s in journal(store, till.till_id)] == [1, 3, 5, 6]
