"""Invariants 1 and 2 on the server: a power cut before or after the commit of a sale.

The server SIGKILLs itself at the crash point (appliance.server.faults) while it
takes in a sale the till has already acknowledged. Restarted without the crash
point, it gets the sale again from the till's outbox and holds it exactly once:
stored if the cut came before the commit, a duplicate if it came after.
"""

from __future__ import annotations

import signal

import pytest

from testbed.rig import CRASH_AFTER, CRASH_AT, assert_exactly_once, journal

pytestmark = pytest.mark.timeout(60)

POINTS = ["before_commit", "after_commit"]


def held_after_restart(point: str, acknowledged: list[dict], lost: list[dict]) -> list[str]:
    """What the restarted server must hold before any retry."""
    ids = [a["sale_id"] for a in acknowledged]
    if point == "before_commit":  # the cut came first: the transaction is rolled back
        lost_ids = {a["sale_id"] for a in lost}
        return [i for i in ids if i not in lost_ids]
    return ids  # committed durably, only the answer was lost


@pytest.mark.parametrize("point", POINTS)
def test_online_sale_put_when_the_server_dies(point, new_server, new_till, barcodes):
    server = new_server(env={CRASH_AT: point, CRASH_AFTER: "1"})  # sale 1 goes through
    till = new_till(server).online(server.url)
    first = till.sell(barcodes[:2])
    till.wait_event("synced", acked=1)
    second = till.sell(barcodes[2:5])  # acknowledged: in the outbox, fsync'd
    till.wait_event("question", id="go_autonomous", timeout=10)
    assert server.proc.wait(10) == -signal.SIGKILL  # it died at the crash point
    assert till.index_of("sale_closed", seq=2) < till.index_of("question")

    server.start()  # the power is back; no crash point this time
    held = [s["sale_id"] for s in journal(server, till.till_id)]
    assert held == held_after_restart(point, [first, second], lost=[second])

    till.send("answer", question="go_autonomous", answer="retry")
    till.wait_event("mode", mode="ONLINE", timeout=20)
    till.wait_event("synced", acked=2)  # the PUT again: stored, or a duplicate
    assert_exactly_once(server, till.till_id, [first, second])


@pytest.mark.parametrize("point", POINTS)
def test_batch_upload_when_the_server_dies(point, new_server, new_till, cable, barcodes):
    server = new_server(env={CRASH_AT: point})  # the first sale taken in kills it
    wire = cable(server)
    till = new_till(server, wire.url).online(wire.url)
    till.go_autonomous(wire)
    sold = [till.sell(barcodes[i : i + 2]) for i in range(0, 10, 2)]
    assert {s["mode"] for s in sold} == {"autonomous"}
    wire.mend()

    till.send("upload")
    assert till.wait_event("upload_started")["total"] == 5
    cut = till.wait_event("upload_interrupted", timeout=20)
    assert (cut["sent"], cut["pending"]) == (0, 5)
    till.wait_event("mode", mode="AUTONOMOUS")
    assert server.proc.wait(10) == -signal.SIGKILL

    server.start()
    held = [s["sale_id"] for s in journal(server, till.till_id)]
    assert held == held_after_restart(point, sold, lost=sold)

    till.send("upload")
    done = till.wait_event("upload_finished", timeout=20)
    assert (done["sent"], done["acked"]) == (5, 5)
    till.wait_event("mode", mode="ONLINE")
    sales = assert_exactly_once(server, till.till_id, sold)
    assert {s["mode"] for s in sales} == {"autonomous"}


@pytest.mark.parametrize("point", POINTS)
def test_tills_selling_together_when_the_server_dies(point, new_server, new_till, barcodes):
    """Two tills' PUTs arrive together (the server may commit them in one group);
    whatever the cut loses or keeps, each acknowledged sale ends up in the journal once."""
    server = new_server(env={CRASH_AT: point, CRASH_AFTER: "2"})  # one sale each first
    tills = [new_till(server).online(server.url) for _ in range(2)]
    first = [t.sell(barcodes[:1]) for t in tills]
    for t in tills:
        t.wait_event("synced", acked=1)
    for t in tills:  # both sales go up at the same moment
        t.send("scan", code=barcodes[1])
        t.expect("line_added")
    for t in tills:
        t.send("pay", method="cash", amount=100_00)
    second = [t.expect("sale_closed") for t in tills]
    assert server.proc.wait(10) == -signal.SIGKILL

    server.start()
    held = {s["sale_id"] for t in tills for s in journal(server, t.till_id)}
    assert {f["sale_id"] for f in first} <= held
    seconds = {s["sale_id"] for s in second}
    if point == "before_commit":
        assert seconds - held, "the sale that hit the crash point was committed"
    else:
        assert seconds & held, "the committed group is gone"
    for t in tills:  # each had a PUT in flight or queued: each lost the server
        t.wait_event("question", id="go_autonomous", timeout=10)
        t.send("answer", question="go_autonomous", answer="retry")
    for t, f, s in zip(tills, first, second, strict=True):
        t.wait_event("synced", acked=2, timeout=20)
        assert_exactly_once(server, t.till_id, [f, s])
