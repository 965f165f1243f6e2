"""Discovery across the bridge: real mDNS multicast between two hosts."""

from __future__ import annotations

import json

import pytest

from testbed.lanrig import PORT, login, sell_many, settled
from testbed.rig import assert_exactly_once

pytestmark = pytest.mark.lan


def test_a_till_finds_its_server_by_mdns_and_sells_online(lan, server, new_till, barcodes):
    srv = server()
    # enrolment without an address: the server is found by mDNS from till1
    till = new_till(srv, "till1", url=None)
    assert json.loads((till.data / "till.json").read_text())["server_url"] == srv.url

    # the server moves to another port: the address the till keeps is dead,
    # and the till is started without --server: only mDNS can lead it there
    srv.stop()
    srv = server(port=PORT + 1)
    till.start()
    ev = till.wait_event("mode", mode="ONLINE", timeout=10)
    assert ev["server"] == srv.url == f"https://{lan.ip('srv')}:{PORT + 1}"

    login(till)
    acked = sell_many(till, barcodes, 4, mode="online")
    settled(till)
    assert_exactly_once(srv, till.till_id, acked)
