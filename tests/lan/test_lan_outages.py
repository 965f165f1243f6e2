"""The server cut off the LAN, then back: a cable pulled, a black hole, a power cut.

Each test ends on the journal: every sale the tills acknowledged is there
exactly once, as acknowledged, each till's chain verifies, nothing is kept
aside and nothing is pending.
"""

from __future__ import annotations

import time

import pytest

from testbed.lanrig import go_autonomous, login, need, sell_many, settled
from testbed.rig import Till, assert_exactly_once

pytestmark = pytest.mark.lan

ASK_WITHIN_S = 3.0  # the till asks go_autonomous this soon after the server is cut off
BACK_WITHIN_S = 10.0  # and send_sales this soon after it is back (mDNS, or the 5 s health check)


def online(till: Till, barcodes: list[str], n: int) -> list[dict]:
    """Start the till (its server found by its address or mDNS), log in, sell `n` online."""
    till.start()
    till.wait_event("mode", mode="ONLINE", timeout=10)
    login(till)
    acked = sell_many(till, barcodes, n, mode="online")
    settled(till)
    return acked


def upload_when_back(till: Till, wait: float = BACK_WITHIN_S) -> None:
    """Autonomous, the till notices its server answers again and asks send_sales
    by itself (mDNS or its health check): the cashier says send."""
    q = till.wait_event("question", id="send_sales", timeout=wait)
    assert q["pending"] > 0, q
    till.send("answer", question="send_sales", answer="send")
    done = till.expect("upload_finished", timeout=15)
    assert done["sent"] == done["total"] == q["pending"], done
    till.wait_event("mode", mode="ONLINE")
    settled(till)


def test_cable_pulled_on_the_server_then_put_back(lan, server, new_till, barcodes):
    srv = server()
    till = new_till(srv, "till1")
    acked = online(till, barcodes, 2)

    lan.cable("srv", plugged=False)
    go_autonomous(till, within=ASK_WITHIN_S, since=time.monotonic())
    acked += sell_many(till, barcodes[5:], 3, mode="autonomous")

    lan.cable("srv", plugged=True)
    upload_when_back(till)
    assert_exactly_once(srv, till.till_id, acked)


def test_black_hole_around_the_server(lan, server, new_till, barcodes):
    need("nft")
    srv = server()
    till = new_till(srv, "till1")
    acked = online(till, barcodes, 2)

    lan.black_hole("srv")
    go_autonomous(till, within=ASK_WITHIN_S, since=time.monotonic())
    acked += sell_many(till, barcodes[5:], 3, mode="autonomous")

    lan.clear_black_hole("srv")
    upload_when_back(till)
    assert_exactly_once(srv, till.till_id, acked)


def test_server_killed_and_restarted_while_two_tills_sell(lan, server, new_till, barcodes):
    srv = server()
    tills = [new_till(srv, "till1"), new_till(srv, "till2")]
    acked = {t.name: online(t, barcodes, 2) for t in tills}

    srv.kill()  # SIGKILL: a power cut of the server's box
    since = time.monotonic()
    for t in tills:
        go_autonomous(t, within=ASK_WITHIN_S, since=since)
    for i, t in enumerate(tills):
        acked[t.name] += sell_many(t, barcodes[10 + i :], 3, mode="autonomous")

    srv = server()  # the same data, the same address: it announces itself again
    for t in tills:
        upload_when_back(t)
    for t in tills:
        assert_exactly_once(srv, t.till_id, acked[t.name])
