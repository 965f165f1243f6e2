"""The server's clock thread: the nightly snapshot, and announcing new versions.

Every `tick` seconds it looks at the local time and builds the snapshot once
a day at the configured time; it also looks at the newest snapshot version
in the database, so a snapshot built by `autonome snapshot build` while the
server runs is announced in the mDNS TXT too. Started in the app's
lifespan, never at import.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta

__all__ = ["Nightly", "next_run"]

log = logging.getLogger("autonome.server.nightly")


def next_run(now: datetime, at: time) -> datetime:
    """The first `at` strictly after `now` (local, naive times)."""
    candidate = datetime.combine(now.date(), at)
    return candidate if candidate > now else candidate + timedelta(days=1)


class Nightly:
    def __init__(
        self,
        at: time,
        build: Callable[[], object],
        newest_version: Callable[[], int | None],
        on_version: Callable[[int | None], None],
        *,
        tick: float = 2.0,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.at = at
        self.build = build
        self.newest_version = newest_version
        self.on_version = on_version
        self.tick = tick
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.due = next_run(clock(), at)
        self.announced: int | None = None

    def start(self, announced: int | None) -> None:
        self.announced = announced
        self._thread = threading.Thread(target=self._run, name="autonome-nightly", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def step(self) -> None:
        """One look at the clock and at the newest version (the loop's body)."""
        now = self.clock()
        if now >= self.due:
            self.due = next_run(now, self.at)
            log.info("nightly snapshot: building (next at %s)", self.due.isoformat())
            try:
                self.build()
            except Exception:
                log.exception("nightly snapshot failed; next try at %s", self.due.isoformat())
        newest = self.newest_version()
        if newest != self.announced:
            try:
                self.on_version(newest)
                self.announced = newest
            except Exception:
                log.exception("could not announce snapshot %s", newest)

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                self.step()
            except Exception:
                log.exception("nightly tick failed")
