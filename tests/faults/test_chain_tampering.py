"""Invariant 4: each till chains its sales and the server checks the chain as it
takes them in.

After a day alone, the till's outbox is tampered with on disk the way a
fraudster would: sale 2 moved to the day before (its line checksum redone,
its hash left as it was), sale 4's line erased. The upload goes through (one
bad record never blocks the queue), and the server shows both: sale 2 kept aside with an
integrity event (its hash does not match its content), sale 4 as a gap,
"till N: sale 4 pending"; the three honest sales are stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
import pytest

from appliance.domain import verify_chain
from appliance.till.fsio import encode_line
from testbed.rig import journal, listed

pytestmark = pytest.mark.timeout(60)


def test_a_backdated_sale_and_an_erased_sale_are_exposed(store, new_till, cable, barcodes):
    wire = cable(store)
    till = new_till(store, wire.url).online(wire.url)
    till.go_autonomous(wire)
    sold = [till.sell(barcodes[i : i + 3]) for i in range(5)]
    till.quit()

    outbox = till.data / "outbox.log"
    lines = outbox.read_bytes().splitlines(keepends=True)
    moved = orjson.loads(lines[1][17:])
    when = datetime.fromisoformat(moved["closed_at"]) - timedelta(days=1)
    moved["closed_at"] = when.isoformat()  # into yesterday's Z report
    lines[1] = encode_line(orjson.dumps(moved))  # a sound line, a false record
    del lines[3]  # sale 4 erased
    outbox.write_bytes(b"".join(lines))

    wire.mend()
    till.start(wire.url)
    till.wait_event("question", id="send_sales", timeout=20)
    till.send("answer", question="send_sales", answer="send")
    done = till.wait_event("upload_finished", timeout=20)
    assert done["acked"] == 5
    aside = [e for e in till.history if e["event"] == "kept_aside"]
    assert [(e["seq"], e["status"]) for e in aside] == [(2, "quarantined")]

    sales = journal(store, till.till_id)
    assert [(s["seq"], s["hash"]) for s in sales] == [
        (sold[i]["seq"], sold[i]["hash"]) for i in (0, 2, 4)
    ]
    assert verify_chain(sales) == []
    [bad] = listed(store, "integrity", till.till_id)
    assert (bad["kind"], bad["seq"], bad["sale_id"]) == ("bad_hash", 2, sold[1]["sale_id"])
    [held] = listed(store, "quarantine", till.till_id)
    assert (held["seq"], held["reason"]) == (2, "bad_hash")
    [gap] = listed(store, "pending", till.till_id)
    assert (gap["ranges"], gap["text"]) == ([[4, 4]], f"till {till.till_id}: sale 4 pending")
