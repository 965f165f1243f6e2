"""A till whose clock is hours off the server's (libfaketime: the till process only).

What the product does: the till sends its clock with every health check; the
server compares it with its own, writes a `clock_off` event in that till's
journal (once, with the offset) and answers the offset, which the till shows
the cashier. The sales keep the till's time (it is inside the chained record)
and the server's receipt time (`received_at`); their business day, the day of
the X and Z reports, is the server's date of the sale once the offset is taken
off, online and for sales uploaded after an outage alike.

The till here is set back far enough that its date is the day before the
server's: the day a report puts a sale on is then wrong unless it is corrected.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest

from testbed.lanrig import cannot, go_autonomous, login, sell_many, settled
from testbed.rig import API, assert_exactly_once

pytestmark = pytest.mark.lan


def sales_rows(db, till_id: int) -> list[tuple[str, str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(
            "SELECT closed_at, received_at, day FROM sales WHERE till_id = ? ORDER BY seq",
            (till_id,),
        ).fetchall()


def clock_events(db, till_id: int) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT body FROM till_events WHERE till_id = ? AND type = 'clock_off'", (till_id,)
        ).fetchall()
    return [r[0] for r in rows]


def test_a_till_clock_hours_slow_keeps_its_time_and_the_sales_their_day(
    lan, server, new_till, barcodes
):
    if shutil.which("faketime") is None:
        cannot("needs `faketime` (apt-get install faketime)")
    srv = server()
    till = new_till(srv, "till1")
    local = datetime.now().astimezone()
    hours = local.hour + 5  # the till's date is then the day before the server's
    till.prefix += [
        *("env", "FAKETIME_DONT_FAKE_MONOTONIC=1"),  # timeouts and waits keep real time
        *("faketime", "-m", "-f", f"-{hours}h"),
    ]
    till.start()
    till.wait_event("mode", mode="ONLINE", timeout=10)
    login(till)
    warned = till.wait_event("clock_off", timeout=5)  # the first health check tells
    assert abs(warned["offset_s"] + hours * 3600) < 30, warned
    assert f"{hours} h" in warned["message"] and "behind" in warned["message"], warned
    acked = sell_many(till, barcodes, 3, mode="online")
    settled(till)

    lan.cable("till1", plugged=False)  # sales made alone go up later with the same rule
    go_autonomous(till, within=3.0, since=time.monotonic())
    acked += sell_many(till, barcodes[5:], 2, mode="autonomous")
    lan.cable("till1", plugged=True)
    till.wait_event("question", id="send_sales", timeout=10)
    till.send("answer", question="send_sales", answer="send")
    till.expect("upload_finished", timeout=15)
    settled(till)

    today = datetime.now().astimezone().date().isoformat()
    slow = datetime.now(UTC) - timedelta(hours=hours)
    for sale in acked:  # the till's own time, as the cashier's receipts show it
        closed = datetime.fromisoformat(sale["closed_at"])
        assert abs((closed - slow).total_seconds()) < 120, sale
        assert closed.astimezone().date().isoformat() != today
    rows = sales_rows(srv.data / "server.db", till.till_id)
    assert [r[0] for r in rows] == [s["closed_at"] for s in acked]
    assert {r[2] for r in rows} == {today}, rows  # the business day: the server's
    for closed_at, received_at, _day in rows:  # and the server's receipt time beside
        late = datetime.fromisoformat(received_at) - datetime.fromisoformat(closed_at)
        assert abs(late.total_seconds() - hours * 3600) < 120

    r = srv.api("GET", f"{API}/reports/x", params={"day": today})
    assert r.status_code == 200, r.text
    mine = [t for t in r.json()["tills"] if t["till_id"] == till.till_id]
    assert mine and mine[0]["sales"] == len(acked), r.json()
    events = clock_events(srv.data / "server.db", till.till_id)
    assert len(events) == 1, events  # once, not at every health check
    assert_exactly_once(srv, till.till_id, acked)
