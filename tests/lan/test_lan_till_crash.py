"""A till killed (SIGKILL) at chosen points, then started again on the same data.

The points: mid-sale (lines rung up, not paid: the test kills it), and the
till's own crash points (`AUTONOME_CRASH_AT`, appliance/system/crash.py):
after the payment but before the outbox append, between the append and the
acknowledgement (`sale_closed`, the receipt), and in the middle of an upload
(one batch taken by the server and acknowledged, the next taken but its answer
never used). After the restart the till says it stopped without shutting down
and which sale it holds last (`recovered`); every acknowledged sale is in the
journal exactly once, and the one in doubt is either wholly there (and then
named as the last sale recorded) or absent.
"""

from __future__ import annotations

import json
import signal
import time

import pytest

from testbed.lanrig import go_autonomous, login, sell_many, settled
from testbed.rig import Till, assert_exactly_once, journal

pytestmark = pytest.mark.lan


def online(till: Till, barcodes: list[str], n: int, env: dict[str, str] | None = None) -> list:
    till.start(env=env)
    till.wait_event("mode", mode="ONLINE", timeout=10)
    login(till)
    acked = sell_many(till, barcodes, n, mode="online")
    settled(till)
    return acked


def died(till: Till, timeout: float = 10) -> list[dict]:
    """The till killed itself at its crash point (SIGKILL); the events it wrote last."""
    assert till.proc is not None
    assert till.proc.wait(timeout) == -signal.SIGKILL
    last = []
    while (ev := till.events.get(timeout=10)).get("event") != "exited":
        last.append(ev)
    return last


def restart(till: Till) -> dict:
    """Start the till again on the same data: its `recovered` event (what the cashier reads)."""
    till.start()
    boot = till.wait_event("boot")
    assert boot["clean_stop"] is False, boot
    told = till.wait_event("recovered")
    assert "without shutting down" in told["message"], told
    return told


def pay_and_die(till: Till, codes: list[str]) -> int:
    """Ring `codes` up and pay: the till dies at its crash point. The sale's total."""
    for code in codes:
        till.send("scan", code=code)
        total = till.expect("line_added")["sale"]["total"]
    till.send("pay", method="cash", amount=100_00)
    last = died(till)
    assert [e for e in last if e.get("event") == "sale_closed"] == [], "acknowledged"
    return total


def test_killed_mid_sale_the_open_sale_is_gone_and_the_cashier_told(
    lan, server, new_till, barcodes
):
    srv = server()
    till = new_till(srv, "till1")
    acked = online(till, barcodes, 3)
    for code in barcodes[7:9]:  # lines rung up, not paid
        till.send("scan", code=code)
        till.expect("line_added")
    till.kill()

    told = restart(till)
    last = acked[-1]
    assert (told["last_sale"]["seq"], told["last_sale"]["sale_id"]) == (
        last["seq"],
        last["sale_id"],
    )
    assert "ring it up again" in told["message"]
    till.wait_event("mode", mode="ONLINE", timeout=10)
    till.send("status")
    assert till.expect("status")["sale"]["lines"] == []  # nothing of the open sale came back
    login(till)
    acked += sell_many(till, barcodes[3:], 2, mode="online")
    settled(till)
    assert_exactly_once(srv, till.till_id, acked)


@pytest.mark.parametrize("point", ["till_before_append", "till_after_append"])
def test_crash_around_the_outbox_append(lan, server, new_till, barcodes, point):
    """Killed after the payment: before the append the sale is absent, after it the
    sale is there once, though the cashier never saw it paid; either way the till
    names the last sale it holds."""
    srv = server()
    till = new_till(srv, "till1")
    crash = {"AUTONOME_CRASH_AT": point, "AUTONOME_CRASH_AFTER": "3"}  # at the fourth sale
    acked = online(till, barcodes, 3, env=crash)
    total = pay_and_die(till, barcodes[4:6])

    told = restart(till)
    recorded = told["last_sale"]
    if point == "till_before_append":
        assert recorded["seq"] == acked[-1]["seq"], told  # the paid sale is not there
    else:
        assert recorded["seq"] == acked[-1]["seq"] + 1, told  # it is, whole
        assert recorded["total"] == total, recorded
        acked.append(recorded)  # in the journal it must be, once
    till.wait_event("mode", mode="ONLINE", timeout=10)
    settled(till)  # an online sale found in the outbox goes up by itself
    login(till)
    acked += sell_many(till, barcodes[8:], 2, mode="online")
    settled(till)
    assert_exactly_once(srv, till.till_id, acked)


def test_crash_mid_upload_then_the_rest_goes_once(lan, server, new_till, barcodes):
    srv = server()
    till = new_till(srv, "till1")
    conf = json.loads((till.data / "till.json").read_text())
    conf["settings"].update({"upload_batch": 3, "back_probe_s": 1.0})
    (till.data / "till.json").write_text(json.dumps(conf))
    # the second batch of an upload: the server takes it, the till dies before it moves
    # outbox.acked (the first batch went through whole)
    crash = {"AUTONOME_CRASH_AT": "till_mid_upload", "AUTONOME_CRASH_AFTER": "1"}
    acked = online(till, barcodes, 2, env=crash)

    lan.cable("till1", plugged=False)
    go_autonomous(till, within=3.0, since=time.monotonic())
    acked += sell_many(till, barcodes[3:], 8, mode="autonomous")
    lan.cable("till1", plugged=True)
    q = till.wait_event("question", id="send_sales", timeout=10)
    assert q["pending"] == 8, q
    till.send("answer", question="send_sales", answer="send")
    died(till, timeout=20)
    held = {s["seq"] for s in journal(srv, till.till_id)}
    assert held == set(range(1, 2 + 6 + 1)), sorted(held)  # two batches of three taken

    told = restart(till)
    assert told["last_sale"]["seq"] == acked[-1]["seq"]
    q = till.wait_event("question", id="send_sales", timeout=10)
    assert q["pending"] == 8 - 3, q  # the second batch was never acknowledged to the till
    till.send("answer", question="send_sales", answer="send")
    done = till.expect("upload_finished", timeout=15)
    assert (done["sent"], done["acked"]) == (5, 10), done
    till.wait_event("mode", mode="ONLINE")
    settled(till)
    assert_exactly_once(srv, till.till_id, acked)
