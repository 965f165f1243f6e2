"""mDNS discovery on loopback: the till follows only its own server."""

from __future__ import annotations

import socket
import threading
import uuid

import pytest
from zeroconf import IPVersion, ServiceInfo, Zeroconf

from appliance.protocol import SERVICE_TYPE
from appliance.till.discovery import Discovery, Sighting

pytestmark = pytest.mark.timeout(60)


def advert(server_id: str, port: int, snapshot: int) -> ServiceInfo:
    return ServiceInfo(
        SERVICE_TYPE,
        f"{server_id}.{SERVICE_TYPE}",
        addresses=[socket.inet_aton("127.0.0.1")],
        port=port,
        server=f"{server_id}.local.",
        properties={"server_id": server_id, "api": "v1", "snapshot": str(snapshot)},
    )


@pytest.fixture
def zc():
    z = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    yield z
    z.close()


def test_follows_its_server_ignores_others_and_hears_goodbye(zc):
    ours, other = f"srv-{uuid.uuid4().hex[:8]}", f"srv-{uuid.uuid4().hex[:8]}"
    seen: list[Sighting] = []
    gone: list[str] = []
    got_goodbye = threading.Event()

    def on_gone(sid: str) -> None:
        gone.append(sid)
        got_goodbye.set()

    d = Discovery(ours, interfaces=["127.0.0.1"], on_seen=seen.append, on_gone=on_gone)
    d.start()
    try:
        zc.register_service(advert(other, 9999, 1))
        mine = advert(ours, 8471, 7)
        zc.register_service(mine)
        found = d.wait(10)
        assert found is not None
        assert found == Sighting(ours, "https://127.0.0.1:8471", 7)
        assert all(s.server_id == ours for s in seen)
        zc.update_service(advert(ours, 8471, 8))  # a new snapshot is announced
        for _ in range(50):
            if d.latest and d.latest.snapshot_version == 8:
                break
            got_goodbye.wait(0.1)
        assert d.latest.snapshot_version == 8
        zc.unregister_service(mine)
        assert got_goodbye.wait(5)
        assert gone == [ours]
    finally:
        d.stop()
