"""The till's one background thread to the server: a coordinator, given narrow things.

`Link(core, server, outbox, journal, config, stop, ...)`: the core's door and mode
(`ports.Core`), the connection to the server (`server.api()`, a `ports.ServerApi`),
the `Outbox`, the journal of events, the till's configuration and settings,
and the stop event. It touches the outbox's cursor (drain, upload) and the
journal's (events sent); everything else it saw goes to the core through
`core.signal(news)`: found, not found, lost, back, what the server holds, the
clock, the snapshot it names.

DISCOVERING: probe the known addresses and listen to mDNS until the
discovery timeout. ONLINE: drain the outbox, send journal events, and check
`GET /health` about every second (a failure raises the "go autonomous?"
question at once: the till never waits for mDNS to notice). SYNCING: the
batch upload. AUTONOMOUS: no server attempt but a health probe when mDNS says
the server is back and one every `Settings.back_probe_s` (5 s), until the
cashier has been asked once; after "later", the same probe keeps telling the
core whether the server answers (what needs it but not the upload goes to it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from appliance.protocol.tls import https_url

from .client import ServerError
from .config import TillConfig
from .connection import Connection
from .discovery import Sighting, probe
from .eventlog import EventLog
from .modes import Mode
from .outbox import Outbox
from .ports import Back, ClockRead, Core, Found, Holds, Lost, NoServerFound, SnapshotAnnounced
from .sync import Uploader, drain

__all__ = ["Link"]

log = logging.getLogger(__name__)

DISCOVERY_POLL_S = 0.3


class Link(threading.Thread):
    def __init__(
        self,
        core: Core,
        server: Connection,
        outbox: Outbox,
        journal: EventLog,
        config: TillConfig,
        stop: threading.Event,
        *,
        wake: threading.Event | None = None,
        now: Callable[[], datetime],
        addresses: Callable[[], list[str | None]] = list,
        probe_fn: Callable[..., Sighting | None] = probe,
        tls: Any = None,
    ) -> None:
        super().__init__(name="till-link", daemon=True)
        self.core = core
        self.server = server
        self.api = server.api
        self.outbox = outbox
        self.journal = journal
        self.config = config
        self.settings = config.settings
        self.till_id = config.till_id
        self.stop = stop
        self.wake = wake or threading.Event()
        self.now = now
        #: where the server may be (the hint, the address known, mDNS's latest)
        self.addresses = addresses
        self.probe = probe_fn
        self.tls = tls
        self.next_beat = 0.0
        self.next_back_probe = 0.0
        #: the server as mDNS last announced it (None: nothing new since we looked)
        self.heard: Sighting | None = None

    # -- what other threads tell it ---------------------------------------------------
    def mdns_seen(self, seen: Sighting) -> None:
        self.heard = seen
        if self.core.mode is Mode.ONLINE and seen.url == self.server.url:
            self.core.signal(SnapshotAnnounced(seen.snapshot_version))  # in the TXT record
        self.wake.set()

    def forget_heard(self) -> None:
        """Only a later mDNS advert says the server is back."""
        self.heard = None

    def run(self) -> None:
        while not self.stop.is_set():
            timeout = 1.0
            try:
                mode = self.core.mode
                if mode is Mode.DISCOVERING:
                    self.discover()
                    continue
                if mode is Mode.SYNCING:
                    Uploader(self).run()
                    continue
                if mode is Mode.ONLINE:
                    self.online()
                    timeout = max(0.0, self.next_beat - time.monotonic())
                elif mode is Mode.AUTONOMOUS:
                    self.watch_back()
            except Exception:  # the link must outlive any surprise
                log.exception("till link")
            self.wake.wait(timeout)
            self.wake.clear()

    # -- DISCOVERING -----------------------------------------------------------
    def candidates(self) -> list[str]:
        out: list[str] = []
        for u in self.addresses():
            if u and https_url(u) not in out:
                out.append(https_url(u))
        return out

    def _probe(self, url: str) -> Sighting | None:
        c = self.config
        return self.probe(
            url,
            c.server_id,
            c.token,
            self.settings.request_timeout_s,
            last_seq=self.outbox.last_seq,
            tls=self.tls,
        )

    def discover(self) -> None:
        deadline = time.monotonic() + self.settings.discovery_timeout_s
        while not self.stop.is_set() and self.core.mode is Mode.DISCOVERING:
            for url in self.candidates():
                seen = self._probe(url)
                if seen is not None:
                    self.core.signal(Found(seen))
                    self.next_beat = time.monotonic() + self.settings.heartbeat_s
                    return
            if time.monotonic() >= deadline:
                self.core.signal(NoServerFound())
                return
            self.wake.wait(DISCOVERY_POLL_S)
            self.wake.clear()

    # -- ONLINE ------------------------------------------------------------------
    def online(self) -> None:
        if self.outbox.pending_count and not drain(self):
            return
        if self.core.mode is not Mode.ONLINE:
            return
        self.send_events()
        if time.monotonic() >= self.next_beat:
            self.heartbeat()

    def heartbeat(self) -> None:
        core = self.core
        self.next_beat = time.monotonic() + self.settings.heartbeat_s
        try:
            health = self.api().health(last_seq=self.outbox.last_seq, till_time=self.now())
        except ServerError as e:
            core.signal(Lost(f"health check failed: {e.message}"))
            return
        if health.server_id != self.config.server_id:
            core.signal(Lost(f"another server ({health.server_id}) answers at {self.server.url}"))
            return
        core.signal(Holds(health.contiguous_seq))
        core.signal(ClockRead(health.clock_offset_s))
        if health.snapshot is not None:
            core.signal(SnapshotAnnounced(health.snapshot.version, health.snapshot.sha256))

    def send_events(self) -> None:
        events, end = self.journal.unsent()
        if not events:
            return
        try:
            self.api().post_events(self.till_id, events)
        except ServerError as e:
            log.info("journal events not sent yet: %s", e.message)
            return
        self.journal.mark_sent(end)

    # -- AUTONOMOUS ----------------------------------------------------------------
    def watch_back(self) -> None:
        """Notice the server is back (mDNS, or a health probe every few seconds).

        Nothing is sent but the health check: the sales wait for the cashier's
        answer to the one question this asks."""
        seen, self.heard = self.heard, None
        if self.core.asked_back:
            self.watch_answers(seen)
            return
        urls = [seen.url] if seen is not None else []
        if time.monotonic() >= self.next_back_probe:
            self.next_back_probe = time.monotonic() + self.settings.back_probe_s
            urls += [u for u in self.candidates() if u not in urls]
        for url in urls:
            found = self._probe(url)
            if found is not None:
                self.core.signal(Back(found))
                return

    def watch_answers(self, seen: Sighting | None) -> None:
        """Autonomous after "later": whether the server still answers (a health probe
        every few seconds, or an mDNS advert), told to the core when it changes. The
        sales still wait for the cashier's upload."""
        if seen is None and time.monotonic() < self.next_back_probe:
            return
        self.next_back_probe = time.monotonic() + self.settings.back_probe_s
        urls = [seen.url] if seen is not None else []
        urls += [u for u in self.candidates() if u not in urls]
        for url in urls:
            found = self._probe(url)
            if found is not None:
                if not self.core.server_answers:
                    self.core.signal(Back(found))
                return
        if self.core.server_answers:
            self.core.signal(Lost("the store server does not answer its health check"))
