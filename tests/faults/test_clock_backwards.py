"""Invariant 8: a till clock that goes backwards (no RTC, no NTP while the server is
down) never dates a sale before the till's last sale.

The till core runs in this process with its clock injected (`Till(now=...)`),
against the real server through a cable: sales across a backwards jump while
autonomous, then across a restart with the clock a day behind. Each sale
stamped with the last sale's time says `clock_behind`, the till's journal has
a `clock_backwards` event for it, and the server takes the chain as it is.
"""

from __future__ import annotations

import queue
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from appliance.till import Mode, Till
from testbed.devices import Clock
from testbed.rig import CASHIER, assert_exactly_once

pytestmark = pytest.mark.timeout(60)


class Events:
    """What the till core publishes, awaited one by one."""

    def __init__(self, till: Till) -> None:
        self.q: queue.Queue[dict[str, Any]] = queue.Queue()
        till.subscribe(self.q.put)

    def wait(self, name: str, timeout: float = 15, **fields: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                ev = self.q.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {name} {fields} in {timeout} s") from None
            if ev["event"] == name and all(ev.get(k) == v for k, v in fields.items()):
                return ev


def sell(till: Till, code: str) -> dict[str, Any]:
    till.scan(code)
    record = till.pay("cash", 100_00)
    assert record is not None
    return record


def server_events(db, till_id: int, kind: str) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT body FROM till_events WHERE till_id = ? AND type = ?", (till_id, kind)
        ).fetchall()
    return [r[0] for r in rows]


def test_sales_across_a_backwards_clock_never_go_back_in_time(store, new_till, cable, barcodes):
    wire = cable(store)
    folder = new_till(store, wire.url).data  # enrolled; its core runs here
    t0 = datetime.now(UTC).replace(microsecond=0)
    clock = Clock(t0)
    till = Till(folder, now=clock, mdns=False, server_hint=wire.url)
    events = Events(till)
    till.start()
    try:
        events.wait("mode", mode="ONLINE")
        assert till.login(CASHIER["cashier"], CASHIER["pin"])
        first = sell(till, barcodes[0])
        events.wait("synced", acked=1)
        wire.cut()
        events.wait("question", id="go_autonomous")
        till.answer("go_autonomous", "yes")
        assert till.mode is Mode.AUTONOMOUS

        clock.t = t0 - timedelta(hours=3)  # the clock jumps back
        second = sell(till, barcodes[1])
        clock.t += timedelta(minutes=5)  # and runs on, still behind
        third = sell(till, barcodes[2])
        clock.t = t0 + timedelta(minutes=1)  # set right again
        fourth = sell(till, barcodes[3])
        assert second["closed_at"] == third["closed_at"] == first["closed_at"]
        assert fourth["closed_at"] == (t0 + timedelta(minutes=1)).isoformat()
        till.stop()

        clock.t = t0 - timedelta(days=1)  # a restart with no RTC
        wire.mend()
        till = Till(folder, now=clock, mdns=False, server_hint=wire.url)
        events = Events(till)
        till.start()
        events.wait("question", id="send_sales")
        till.answer("send_sales", "later")
        assert till.login(CASHIER["cashier"], CASHIER["pin"])
        fifth = sell(till, barcodes[4])
        assert fifth["closed_at"] == fourth["closed_at"]
        till.upload()
        assert events.wait("upload_finished")["acked"] == 5
        events.wait("mode", mode="ONLINE")
        journal_kinds = [(e["type"], e["data"].get("seq")) for e in till.events.all()]
    finally:
        till.stop()

    sold = [first, second, third, fourth, fifth]
    sales = assert_exactly_once(store, till.till_id, sold)  # stored, chain verified
    assert sales == sold
    stamps = [datetime.fromisoformat(s["closed_at"]) for s in sales]
    assert stamps == sorted(stamps)
    assert [s["clock_behind"] for s in sales] == [False, True, True, False, True]
    assert [seq for kind, seq in journal_kinds if kind == "clock_backwards"] == [2, 3, 5]

    deadline = time.monotonic() + 10  # the events go up once online; no event says when
    while len(server_events(store.data / "server.db", till.till_id, "clock_backwards")) < 3:
        assert time.monotonic() < deadline, "the clock_backwards events never reached the server"
        time.sleep(0.1)
