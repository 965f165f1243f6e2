"""The till's one background thread to the server.

DISCOVERING: probe the known addresses and listen to mDNS until the
discovery timeout. ONLINE: drain the outbox, send journal events, and check
`GET /health` about every second (a failure raises the "go autonomous?"
question at once: the till never waits for mDNS to notice). SYNCING: the
batch upload. AUTONOMOUS: no server attempt but a health probe when mDNS says
the server is back and one every `Settings.back_probe_s` (5 s), until the
cashier has been asked once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from appliance.protocol.tls import https_url

from .client import ServerError
from .modes import Mode
from .sync import Uploader, drain

if TYPE_CHECKING:
    from .session import Till

__all__ = ["Link"]

log = logging.getLogger(__name__)

DISCOVERY_POLL_S = 0.3


class Link(threading.Thread):
    def __init__(self, till: Till) -> None:
        super().__init__(name="till-link", daemon=True)
        self.till = till
        self.next_beat = 0.0
        self.next_back_probe = 0.0

    def run(self) -> None:
        t = self.till
        while not t.stopping.is_set():
            timeout = 1.0
            try:
                mode = t.mode
                if mode is Mode.DISCOVERING:
                    self.discover()
                    continue
                if mode is Mode.SYNCING:
                    Uploader(t).run()
                    continue
                if mode is Mode.ONLINE:
                    self.online()
                    timeout = max(0.0, self.next_beat - time.monotonic())
                elif mode is Mode.AUTONOMOUS:
                    self.watch_back()
            except Exception:  # the link must outlive any surprise
                log.exception("till link")
            t.wake.wait(timeout)
            t.wake.clear()

    # -- DISCOVERING -----------------------------------------------------------
    def candidates(self) -> list[str]:
        t = self.till
        urls = [t.server_hint, t.server_url, t.config.server_url]
        if t.discovery is not None and t.discovery.latest is not None:
            urls.append(t.discovery.latest.url)
        out: list[str] = []
        for u in urls:
            if u and https_url(u) not in out:
                out.append(https_url(u))
        return out

    def discover(self) -> None:
        t = self.till
        deadline = time.monotonic() + t.settings.discovery_timeout_s
        while not t.stopping.is_set() and t.mode is Mode.DISCOVERING:
            for url in self.candidates():
                seen = t.probe(
                    url,
                    t.config.server_id,
                    t.config.token,
                    t.settings.request_timeout_s,
                    last_seq=t.outbox.last_seq,
                    tls=t.tls,
                )
                if seen is not None:
                    t.on_found(seen)
                    self.next_beat = time.monotonic() + t.settings.heartbeat_s
                    return
            if time.monotonic() >= deadline:
                t.on_not_found()
                return
            t.wake.wait(DISCOVERY_POLL_S)
            t.wake.clear()

    # -- ONLINE ------------------------------------------------------------------
    def online(self) -> None:
        t = self.till
        if t.outbox.pending_count and not drain(t):
            return
        if t.mode is not Mode.ONLINE:
            return
        self.send_events()
        if time.monotonic() >= self.next_beat:
            self.heartbeat()

    def heartbeat(self) -> None:
        t = self.till
        self.next_beat = time.monotonic() + t.settings.heartbeat_s
        try:
            health = t.client().health(last_seq=t.outbox.last_seq, till_time=t.now())
        except ServerError as e:
            t.on_lost(f"health check failed: {e.message}")
            return
        sid = health.get("server_id") if isinstance(health, dict) else None
        if sid != t.config.server_id:
            t.on_lost(f"another server ({sid}) answers at {t.server_url}")
            return
        t.server_holds(health.get("contiguous_seq"))
        t.clock_seen(health.get("clock_offset_s"))
        snap = health.get("snapshot") or {}
        version = snap.get("version") if isinstance(snap, dict) else None
        if isinstance(version, int):
            t.server_snapshot = version
            t.want_snapshot(version, snap.get("sha256"))

    def send_events(self) -> None:
        t = self.till
        events, end = t.events.unsent()
        if not events:
            return
        try:
            t.client().post_events(t.till_id, events)
        except ServerError as e:
            log.info("journal events not sent yet: %s", e.message)
            return
        t.events.mark_sent(end)

    # -- AUTONOMOUS ----------------------------------------------------------------
    def watch_back(self) -> None:
        """Notice the server is back (mDNS, or a health probe every few seconds).

        Nothing is sent but the health check: the sales wait for the cashier's
        answer to the one question this asks."""
        t = self.till
        seen, t.back_seen = t.back_seen, None
        if t.asked_back:
            return
        urls = [seen.url] if seen is not None else []
        if time.monotonic() >= self.next_back_probe:
            self.next_back_probe = time.monotonic() + t.settings.back_probe_s
            urls += [u for u in self.candidates() if u not in urls]
        for url in urls:
            found = t.probe(
                url,
                t.config.server_id,
                t.config.token,
                t.settings.request_timeout_s,
                last_seq=t.outbox.last_seq,
                tls=t.tls,
            )
            if found is not None:
                t.on_server_back(found)
                return
