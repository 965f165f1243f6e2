"""The mDNS advert on loopback: found with its TXT, updated by a snapshot, withdrawn at stop."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

from appliance.processes import ServerProcess, autonome
from appliance.protocol import SERVICE_TYPE


class Watcher:
    def __init__(self) -> None:
        self.zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
        self.changes: list[tuple[str, ServiceStateChange]] = []
        self.cond = threading.Condition()
        self.browser = ServiceBrowser(self.zc, SERVICE_TYPE, handlers=[self._on_change])

    def _on_change(self, zeroconf, service_type, name, state_change) -> None:
        with self.cond:
            self.changes.append((name, state_change))
            self.cond.notify_all()

    def wait(self, name: str, change: ServiceStateChange, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while (name, change) not in self.changes:
                left = deadline - time.monotonic()
                assert left > 0, f"no {change} for {name}; saw {self.changes}"
                self.cond.wait(left)

    def txt(self, name: str) -> dict[str, str]:
        info = self.zc.get_service_info(SERVICE_TYPE, name, timeout=3000)
        assert info is not None
        return {k.decode(): (v or b"").decode() for k, v in info.properties.items()}

    def close(self) -> None:
        self.browser.cancel()
        self.zc.close()


@pytest.fixture
def watcher():
    w = Watcher()
    yield w
    w.close()


def test_advert_found_updated_and_withdrawn(tmp_path, watcher):
    sid = f"mdns-{int(time.time() * 1000) % 10**8}"
    server = ServerProcess(tmp_path / "server", mdns=True)
    server.init("--demo", "--server-id", sid)
    server.start()
    name = f"{sid}.{SERVICE_TYPE}"
    try:
        watcher.wait(name, ServiceStateChange.Added)
        txt = watcher.txt(name)
        # a new store builds its first snapshot before it opens
        assert txt == {"server_id": sid, "api": "v1", "snapshot": "1", "scheme": "https"}
        info = watcher.zc.get_service_info(SERVICE_TYPE, name, timeout=3000)
        assert info.port == server.port and info.parsed_addresses() == ["127.0.0.1"]
        autonome("snapshot", "build", "--data", str(server.data))
        watcher.wait(name, ServiceStateChange.Updated)
        deadline = time.monotonic() + 10
        while watcher.txt(name)["snapshot"] != "2":
            assert time.monotonic() < deadline, watcher.txt(name)
            time.sleep(0.2)
    finally:
        server.stop()
    # uvicorn ends a clean SIGTERM shutdown by re-raising the signal
    assert server.proc.returncode in (0, -signal.SIGTERM)
    watcher.wait(name, ServiceStateChange.Removed, timeout=10)
    log = server.log.read_text()
    assert "withdrawn" in log and "Application shutdown complete" in log
