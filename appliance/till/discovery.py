"""Finding the store server: mDNS (python-zeroconf) and a direct health probe.

A till follows only the server it was enrolled with: an advert carrying
another server_id is ignored (and logged once). Added and Updated may come in
either order; both mean "the server is there, at this address". A goodbye
(Removed) of our server is reported at once. A server killed or cut off is
never reported by mDNS: the heartbeat of the till notices that, not this.

A server restarted with the same address re-announces records identical to
the cached ones, and the browser stays silent about it; a record listener
hears every announcement of our server's name and reports it as seen again.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from zeroconf import (
    IPVersion,
    RecordUpdateListener,
    ServiceBrowser,
    ServiceStateChange,
    Zeroconf,
)

from appliance.protocol import SERVICE_TYPE

from .client import ServerClient, ServerError

__all__ = ["Discovery", "Sighting", "probe", "server_id_of", "start_discovery"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sighting:
    """Where a server was seen: its id, its URL, and its snapshot version."""

    server_id: str
    url: str
    snapshot_version: int | None = None
    via: str = "mdns"


def server_id_of(name: str, props: dict[str, str]) -> str:
    return props.get("server_id") or name.split(".", 1)[0]


def _decode(props: dict[Any, Any]) -> dict[str, str]:
    out = {}
    for k, v in (props or {}).items():
        key = k.decode("utf-8", "replace") if isinstance(k, bytes) else str(k)
        val = v.decode("utf-8", "replace") if isinstance(v, bytes) else ("" if v is None else v)
        out[key] = str(val)
    return out


def _version(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "", "none", "None") else None
    except ValueError:
        return None


def probe(
    url: str,
    server_id: str | None,
    token: str | None = None,
    timeout: float = 1.0,
    last_seq: int | None = None,
    *,
    tls: ssl.SSLContext,
) -> Sighting | None:
    """GET /health on a known URL over `tls` (the till's pinned context): a
    Sighting if our server answers there.

    With the till's token and last seq, the server learns at once which sales
    are still on this till, even if the cashier postpones sending them. A
    server that does not show the pinned certificate gets nothing, the token
    included: the TLS handshake fails before the request (IdentityMismatch,
    logged by the client).
    """
    client = ServerClient(url, token, tls=tls, timeout=timeout)
    try:
        health = client.health(last_seq=last_seq if token else None)
    except ServerError:
        return None
    finally:
        client.close()
    sid = health.server_id
    if server_id and sid != server_id:
        log.warning("server at %s is %s, not the enrolled %s: ignored", url, sid, server_id)
        return None
    version = health.snapshot.version if health.snapshot is not None else None
    return Sighting(sid, client.base_url, version, via="probe")


class Discovery:
    """An mDNS browser for `_autonome._tcp.local.` that reports our server only."""

    def __init__(
        self,
        server_id: str | None,
        *,
        interfaces: Sequence[str] = (),
        on_seen: Callable[[Sighting], None] = lambda s: None,
        on_gone: Callable[[str], None] = lambda sid: None,
    ) -> None:
        self.server_id = server_id
        self.interfaces = list(interfaces)
        self.on_seen = on_seen
        self.on_gone = on_gone
        self.latest: Sighting | None = None
        self._ignored: set[str] = set()
        self._names: dict[str, str] = {}  # mDNS name -> server_id
        self._zc: Any = None
        self._browser: Any = None
        self._seen = threading.Event()
        self._ours: set[str] = set()
        if server_id:
            self._ours.add(f"{server_id}.{SERVICE_TYPE}".lower())
        self._last_heard = 0.0
        self._listener: Any = None

    def start(self) -> None:
        if self.interfaces:
            self._zc = Zeroconf(interfaces=self.interfaces, ip_version=IPVersion.V4Only)
        else:
            self._zc = Zeroconf(ip_version=IPVersion.V4Only)
        self._browser = ServiceBrowser(self._zc, SERVICE_TYPE, handlers=[self._on_change])
        if self.server_id:
            self._listener = _Announcements(self)
            self._zc.add_listener(self._listener, None)

    def stop(self) -> None:
        if self._listener is not None and self._zc is not None:
            self._zc.remove_listener(self._listener)
            self._listener = None
        if self._browser is not None:
            self._browser.cancel()
            self._browser = None
        if self._zc is not None:
            self._zc.close()
            self._zc = None

    def wait(self, timeout: float) -> Sighting | None:
        """Wait up to `timeout` seconds for our server to be seen."""
        self._seen.wait(timeout)
        return self.latest

    def _on_change(self, zeroconf: Any, service_type: str, name: str, state_change: Any) -> None:
        try:
            if state_change is ServiceStateChange.Removed:
                sid = self._names.get(name) or name.split(".", 1)[0]
                if self._follows(sid):
                    log.info("mDNS goodbye from server %s", sid)
                    self.latest = None
                    self._seen.clear()
                    self.on_gone(sid)
                return
            info = zeroconf.get_service_info(service_type, name, timeout=2000)
            if info is None or not info.port:
                return
            props = _decode(info.properties)
            sid = server_id_of(name, props)
            self._names[name] = sid
            if not self._follows(sid):
                if sid not in self._ignored:
                    self._ignored.add(sid)
                    log.info("mDNS: server %s is not ours (%s): ignored", sid, self.server_id)
                return
            addrs = info.parsed_addresses()
            if not addrs:
                return
            url = f"https://{addrs[0]}:{info.port}"  # HTTPS only, pinned: docs/internals.md
            seen = Sighting(sid, url, _version(props.get("snapshot")))
            self._ours.add(name.lower())
            self.latest = seen
            self._seen.set()
            self.on_seen(seen)
        except Exception:  # a bad advert must never kill the browser thread
            log.exception("mDNS: cannot read the advert %s", name)

    def _follows(self, sid: str) -> bool:
        return self.server_id is None or sid == self.server_id

    def heard(self, name: str, now: float) -> None:
        """A record of ours was announced (event loop thread: stay cheap)."""
        if name.lower() not in self._ours or self.latest is None:
            return
        if now - self._last_heard < 1000:  # zeroconf's clock is in milliseconds
            return
        self._last_heard = now
        self.on_seen(self.latest)


class _Announcements(RecordUpdateListener):
    """Hears every record announced on the network; passes ours to `Discovery.heard`."""

    def __init__(self, discovery: Discovery) -> None:
        self.discovery = discovery

    def async_update_records(self, zc: Any, now: float, records: list[Any]) -> None:
        for update in records:
            record = update.new
            if not record.is_expired(now):
                self.discovery.heard(record.name, now)

    def async_update_records_complete(self) -> None:
        pass


def start_discovery(
    server_id: str | None,
    interfaces: Sequence[str],
    on_seen: Callable[[Sighting], None],
    on_gone: Callable[[str], None],
) -> Discovery | None:
    """A started browser for our server, or None when mDNS cannot run here (no
    multicast interface): the till then finds its server by direct probes alone."""
    discovery = Discovery(server_id, interfaces=interfaces, on_seen=on_seen, on_gone=on_gone)
    try:
        discovery.start()
    except OSError as e:
        log.warning("mDNS unavailable (%s): direct probes only", e)
        return None
    return discovery
