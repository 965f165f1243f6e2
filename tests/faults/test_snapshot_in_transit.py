"""Invariant 5: a snapshot damaged on its way is never installed; the one in use stays.

tests/integration/test_till_snapshot_transit.py flips bytes with a fake store;
here the real server builds a new snapshot and the till's cable damages it twice
(bytes flipped, then cut short with a consistent Content-Length, so only the
hash can tell), while the files on the till are watched: the installed snapshot
is left byte for byte, nothing half-written is left, the till goes on selling,
and the third, sound download is installed with the old one kept as previous.
"""

from __future__ import annotations

import hashlib
import threading

import pytest

from testbed.rig import Answer, journal_events

pytestmark = pytest.mark.timeout(60)


def test_a_damaged_snapshot_is_rejected_and_the_installed_one_kept(
    store, new_till, cable, barcodes
):
    wire = cable(store)
    till = new_till(store, wire.url).online(wire.url)
    snap = till.data / "snapshot"
    in_use = (snap / "current.json").read_bytes()
    till.send("status")
    installed = till.wait_event("status")["snapshot_version"]

    damage = ["flip", "truncate", "hold"]
    held, release = threading.Event(), threading.Event()

    def in_transit(method: str, path: str, answer: Answer) -> Answer | None:
        if not path.startswith("/api/v1/snapshot/") or path.endswith(f"/{installed}"):
            return answer
        how = damage.pop(0) if damage else "pass"
        body = answer.body
        if how == "flip":
            i = len(body) // 2
            body = body[:i] + bytes([body[i] ^ 0x20]) + body[i + 1 :]
        elif how == "truncate":
            body = body[: len(body) // 2]
        elif how == "hold":
            held.set()
            release.wait(30)
        return Answer(answer.status, answer.headers, body)

    wire.tamper = in_transit
    built = store.api("POST", "/api/v1/snapshot/build").json()
    assert built["version"] > installed

    for _ in range(2):
        err = till.wait_event("error", code="snapshot_rejected", timeout=15)
        assert "hash" in err["message"]
    assert held.wait(15), "no third download"
    till.send("status")
    assert till.wait_event("status")["snapshot_version"] == installed
    assert (snap / "current.json").read_bytes() == in_use
    assert sorted(p.name for p in snap.iterdir()) == ["current.json"]  # no temp, no half file
    rejected = [e for e in journal_events(till.data) if e["type"] == "snapshot_rejected"]
    assert [(e["data"]["version"], e["data"]["reason"]) for e in rejected] == [
        (built["version"], "bad_sha256")
    ] * 2
    closed = till.sell(barcodes[:2])  # selling goes on meanwhile
    assert closed["seq"] == 1

    release.set()
    assert till.wait_event("snapshot_installed", timeout=15)["version"] == built["version"]
    current = (snap / "current.json").read_bytes()
    assert hashlib.sha256(current).hexdigest() == built["sha256"]
    assert (snap / "previous.json").read_bytes() == in_use
