"""A power cut tears the last line of the outbox (ARCHITECTURE.md, "Data"), and of
the till's journal (events.log) too.

The till is SIGKILLed, then the file is left as a cut write would leave it:
every acknowledged line whole, and half of the line of a sale that was being
written (so never acknowledged). At restart the till cuts only that half line
away, its next sale takes the freed seq, and every acknowledged sale reaches
the server once.
"""

from __future__ import annotations

import orjson
import pytest

from appliance.server.samples import SaleMaker
from appliance.till.fsio import encode_line
from testbed.rig import assert_exactly_once, listed

pytestmark = pytest.mark.timeout(60)


def test_a_torn_last_line_is_dropped_and_every_acknowledged_sale_arrives_once(
    store, new_till, cable, barcodes
):
    wire = cable(store)
    till = new_till(store, wire.url).online(wire.url)
    till.go_autonomous(wire)
    sold = [till.sell(barcodes[i : i + 2]) for i in range(3)]
    till.kill()

    outbox = till.data / "outbox.log"
    whole = outbox.read_bytes()
    assert whole.count(b"\n") == 3
    being_written = SaleMaker(
        till.till_id, start_seq=4, prev_hash=sold[-1]["hash"], mode="autonomous"
    ).sale()
    line = encode_line(orjson.dumps(being_written))
    torn = line[: len(line) * 3 // 5]  # the write was cut mid-line
    outbox.write_bytes(whole + torn)
    events = till.data / "events.log"  # the till's journal was being written too
    journal_before = events.read_bytes()
    with open(events, "ab") as f:
        f.write(b'feedfacefeedface {"kind":"event","type":"mode_chan')

    wire.mend()
    till.start(wire.url)
    boot = till.wait_event("boot")
    assert (boot["last_seq"], boot["pending"]) == (3, 3)
    repaired = till.wait_event("outbox_repaired")
    assert (repaired["torn_bytes"], repaired["kept_aside"]) == (len(torn), 0)
    assert outbox.read_bytes() == whole  # exactly the torn bytes are gone
    assert events.read_bytes().startswith(journal_before)  # its torn tail cut, the rest kept
    assert b"feedface" not in events.read_bytes()

    q = till.wait_event("question", id="send_sales", timeout=20)
    assert q["pending"] == 3
    till.send("answer", question="send_sales", answer="send")
    done = till.wait_event("upload_finished", timeout=20)
    assert (done["sent"], done["acked"]) == (3, 3)
    till.wait_event("mode", mode="ONLINE")
    till.send("login", cashier="c1", pin="1234")
    till.wait_event("logged_in")

    after = till.sell(barcodes[:1])  # seq 4 again: the torn one was never acknowledged
    assert after["seq"] == 4 and after["sale_id"] != being_written["sale_id"]
    till.wait_event("synced", acked=4)
    sales = assert_exactly_once(store, till.till_id, [*sold, after])
    assert sales[3]["prev_hash"] == sold[-1]["hash"]
    assert listed(store, "quarantine", till.till_id) == []  # the half line was never sent
