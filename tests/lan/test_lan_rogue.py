"""Rogue servers on the LAN: a store server of another shop, and an impostor that
claims our server's id while ours is down.

Both are real `autonome server` processes on a host of their own (`rogue`),
advertising `_autonome._tcp` by mDNS across the bridge. The till follows only
the server it was enrolled with, and trusts only the certificate it pinned
then: it sends neither sales nor its token to another, installs nothing from
it, and says so in its log.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.processes import autonome
from testbed.lanrig import PORT, cannot, go_autonomous, login, sell_many, settled
from testbed.netns import Lan
from testbed.rig import Till, assert_exactly_once, journal_events

pytestmark = pytest.mark.lan

HOSTS = ("srv", "rogue", "till1")
SEEN_WITHIN_S = 20.0  # the rogue's advert (two seconds of mDNS probing) and the till's probe


@pytest.fixture
def lan(_swept) -> Iterator[Lan]:
    """The shop's server, a rogue host and one till."""
    made = Lan(HOSTS)
    try:
        made.up()
    except RuntimeError as e:
        cannot(f"cannot build the namespaces: {e}")
    yield made
    made.down()


@pytest.fixture
def rogue(other_server):
    """rogue(*init_args): a store server of its own on the host `rogue` (not started)."""
    return lambda *init: other_server("rogue", *init)


def server_id(data: Path) -> str:
    return json.loads((data / "server.json").read_text())["server_id"]


def wait_for_log(till: Till, text: str, timeout: float = SEEN_WITHIN_S) -> str:
    """The first line of the till's log (its stderr) holding `text`."""
    deadline = time.monotonic() + timeout
    while True:
        for line in till.log.read_text(errors="replace").splitlines():
            if text in line:
                return line
        assert time.monotonic() < deadline, f"no {text!r} in {till.log} after {timeout} s"
        time.sleep(0.2)


def journal_on_disk(data: Path) -> list[dict]:
    """A server's journal, read from its data folder (`autonome server journal --json`)."""
    return json.loads(autonome("server", "journal", "--data", str(data), "--json"))


def questions(till: Till) -> list[str]:
    return [e["id"] for e in till.history if e.get("event") == "question"]


def test_a_server_of_another_store_is_ignored(lan, server, new_till, rogue, barcodes):
    srv = server()
    till = new_till(srv, "till1")
    till.start()
    till.wait_event("mode", mode="ONLINE", timeout=10)
    login(till)
    acked = sell_many(till, barcodes, 2, mode="online")

    other = rogue()  # another shop: a server id of its own
    other.start()
    line = wait_for_log(till, f"mDNS: server {server_id(other.data)} is not ours")
    assert server_id(srv.data) in line

    acked += sell_many(till, barcodes[4:], 3, mode="online")
    settled(till)
    modes = [e["mode"] for e in till.history if e.get("event") == "mode"]
    assert modes == ["DISCOVERING", "ONLINE"], modes  # never lost its own server
    assert questions(till) == []
    assert_exactly_once(srv, till.till_id, acked)
    assert journal_on_disk(other.data) == []


def test_an_impostor_with_our_server_id_gets_nothing(lan, server, new_till, rogue, barcodes):
    srv = server()
    sid = server_id(srv.data)
    till = new_till(srv, "till1")
    till.start()
    till.wait_event("mode", mode="ONLINE", timeout=10)
    login(till)
    acked = sell_many(till, barcodes, 2, mode="online")
    settled(till)
    installed = till.wait_event("snapshot_installed", past=True)["version"]

    srv.kill()  # our server is down
    go_autonomous(till, within=3.0, since=time.monotonic())
    acked += sell_many(till, barcodes[5:], 2, mode="autonomous")

    # an impostor: our server's id, its own keys and certificate, and a newer snapshot
    impostor = rogue("--demo", "--server-id", sid)
    for _ in range(3):
        autonome("snapshot", "build", "--data", str(impostor.data))
    impostor.start()
    line = wait_for_log(till, "identity mismatch")
    assert f"https://{lan.ip('rogue')}:{PORT}" in line, line
    assert impostor.fingerprint() in line and srv.fingerprint() != impostor.fingerprint()
    assert till.token not in till.log.read_text()

    # the till stays alone and keeps selling; it was not fooled into "server back"
    acked += sell_many(till, barcodes[9:], 2, mode="autonomous")
    till.send("status")
    st = till.expect("status")
    assert st["mode"] == "AUTONOMOUS" and st["pending"] == 4, st
    assert st["snapshot_version"] == installed
    assert questions(till) == ["go_autonomous"]
    assert journal_on_disk(impostor.data) == []

    # ours comes back (the impostor gone): the sales reach it, exactly once
    impostor.stop()
    srv = server()
    q = till.wait_event("question", id="send_sales", timeout=15)
    assert q["pending"] == 4, q
    till.send("answer", question="send_sales", answer="send")
    till.expect("upload_finished", timeout=15)
    till.wait_event("mode", mode="ONLINE")
    settled(till)
    assert_exactly_once(srv, till.till_id, acked)
    assert journal_on_disk(impostor.data) == []
    snapshots = [e for e in journal_events(till.data) if e["type"].startswith("snapshot_")]
    assert [(e["type"], e["data"]["version"]) for e in snapshots] == [
        ("snapshot_installed", installed)
    ], snapshots
