"""The mDNS advertisement: `<server_id>._autonome._tcp.local.` with TXT
`server_id`, `api`, `snapshot`, `scheme=https` (the server speaks HTTPS only).

python-zeroconf runs its own thread; registering probes the network for
about two seconds, so `start()` is meant to run off the event loop (the app
starts it in a thread). `update()` changes the TXT when a snapshot is built;
`stop()` says goodbye and closes.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Sequence

from appliance.protocol import API_VERSION, SERVICE_TYPE

__all__ = ["Advert", "advert_addresses"]

log = logging.getLogger("autonome.server.advert")

_WILDCARD = ("", "0.0.0.0", "::")


def advert_addresses(host: str, interfaces: Sequence[str]) -> list[str]:
    """The addresses to announce: the interfaces asked for, else the bound host,
    else every address of the machine (loopback left out)."""
    if interfaces:
        return list(interfaces)
    if host not in _WILDCARD:
        return [host]
    from zeroconf import get_all_addresses

    found = [a for a in get_all_addresses() if not a.startswith("127.")]
    return found or ["127.0.0.1"]


def _packed(address: str) -> bytes:
    ip = ipaddress.ip_address(address)
    family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
    return socket.inet_pton(family, address)


class Advert:
    def __init__(
        self,
        server_id: str,
        port: int,
        *,
        host: str = "0.0.0.0",
        interfaces: Sequence[str] = (),
        snapshot_version: int | None = None,
    ) -> None:
        self.server_id = server_id
        self.port = port
        self.interfaces = list(interfaces)
        self.addresses = advert_addresses(host, self.interfaces)
        self.snapshot_version = snapshot_version
        self._zc = None
        self._info = None
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def name(self) -> str:
        return f"{self.server_id}.{SERVICE_TYPE}"

    def _service_info(self):
        from zeroconf import ServiceInfo

        version = "" if self.snapshot_version is None else str(self.snapshot_version)
        return ServiceInfo(
            SERVICE_TYPE,
            self.name,
            addresses=[_packed(a) for a in self.addresses],
            port=self.port,
            properties={
                "server_id": self.server_id,
                "api": API_VERSION,
                "snapshot": version,
                "scheme": "https",
            },
            server=f"{self.server_id}.local.",
        )

    def start(self) -> None:
        from zeroconf import InterfaceChoice, IPVersion, Zeroconf

        with self._lock:
            if self._stopped or self._zc is not None:
                return
            v6 = any(ipaddress.ip_address(a).version == 6 for a in self.addresses)
            v4 = any(ipaddress.ip_address(a).version == 4 for a in self.addresses)
            ip_version = (
                IPVersion.All if v4 and v6 else (IPVersion.V6Only if v6 else IPVersion.V4Only)
            )
            zc = Zeroconf(interfaces=self.interfaces or InterfaceChoice.All, ip_version=ip_version)
            info = self._service_info()
            try:
                zc.register_service(info, allow_name_change=False)
            except Exception:
                zc.close()
                raise
            self._zc, self._info = zc, info
        log.info("mDNS: %s advertised on %s", self.name, ", ".join(self.addresses))

    def update(self, snapshot_version: int | None) -> None:
        with self._lock:
            self.snapshot_version = snapshot_version
            if self._zc is None:
                return  # start() will announce the new version
            info = self._service_info()
            self._zc.update_service(info)
            self._info = info
        log.info("mDNS: snapshot %s announced", snapshot_version)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            zc, info = self._zc, self._info
            self._zc = self._info = None
        if zc is None:
            return
        try:
            if info is not None:
                zc.unregister_service(info)
        finally:
            zc.close()
        log.info("mDNS: %s withdrawn", self.name)
