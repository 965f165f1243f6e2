"""Shortcuts of the LAN tests, on top of the fault tests' rig (tests/faults/rig.py)."""

from __future__ import annotations

import os
import time
from typing import Any

from testbed.netns import lan_unavailable
from testbed.rig import CASHIER, Till

__all__ = ["PORT", "cannot", "go_autonomous", "login", "need", "sell_many", "settled"]

PORT = 8470  # every server has a host of its own: the product's default port


def login(till: Till) -> None:
    till.send("login", **CASHIER)
    till.expect("logged_in")


def sell_many(till: Till, barcodes: list[str], n: int, mode: str) -> list[dict[str, Any]]:
    """`n` sales of one or two articles each, every one acknowledged in `mode`."""
    acked = []
    for i in range(n):
        ev = till.sell(barcodes[i % len(barcodes) : i % len(barcodes) + 1 + i % 2])
        assert ev["mode"] == mode, ev
        acked.append(ev)
    return acked


def settled(till: Till, timeout: float = 10) -> dict[str, Any]:
    """Ask for the status until nothing is pending on the till; that status."""
    deadline = time.monotonic() + timeout
    while True:
        till.send("status")
        st = till.expect("status")
        if st["pending"] == 0 or time.monotonic() > deadline:
            assert st["pending"] == 0, f"{till.name}: still pending {st}"
            return st
        time.sleep(0.2)


def go_autonomous(till: Till, within: float, since: float) -> float:
    """The till asks go_autonomous within `within` s of `since`; answer yes. The delay."""
    till.wait_event("question", id="go_autonomous", timeout=within + 2)
    delay = time.monotonic() - since
    assert delay < within, f"{till.name} asked go_autonomous after {delay:.1f} s"
    till.send("answer", question="go_autonomous", answer="yes")
    till.wait_event("mode", mode="AUTONOMOUS")
    return delay


def need(*tools: str) -> None:
    """In a test: skip unless the LAN and these tools are here; with
    AUTONOME_REQUIRE_LAN=1 (CI, as root) fail instead, never a silent pass."""
    why = lan_unavailable(*tools)
    if why:
        cannot(why)


def cannot(reason: str) -> None:
    """In a test: skip with the reason, or fail under AUTONOME_REQUIRE_LAN=1."""
    import pytest

    if os.environ.get("AUTONOME_REQUIRE_LAN") == "1":
        pytest.fail(f"LAN test bed required (AUTONOME_REQUIRE_LAN=1) but: {reason}")
    pytest.skip(f"LAN test bed: {reason}")
