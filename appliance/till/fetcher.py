"""Keeping the till's snapshot up to date: download, check, install, in the background.

`SnapshotFetcher(core, api, store, config, journal)` is given the core's door
(`ports.Core`: it reads the catalogue installed, says errors and events), the
client of the server, the snapshot store (the files it installs into) and the
identity that checks a snapshot (server id, signing key). `fetch()` returns
the catalogue it installed; the thread of `want()` tells the core
`SnapshotReady(catalogue)`. It never sets the till's catalogue itself.
"""

from __future__ import annotations

import logging
import threading

from appliance.domain import EventType

from .client import ServerError
from .config import TillConfig
from .eventlog import EventLog
from .ports import Api, Core, SnapshotReady
from .snapshot import Catalogue, SnapshotRejected, SnapshotStore

__all__ = ["MAX_TRIES", "SnapshotFetcher"]

log = logging.getLogger(__name__)

MAX_TRIES = 3  # per version and per run: a snapshot that keeps failing is left alone


class SnapshotFetcher:
    def __init__(
        self, core: Core, api: Api, store: SnapshotStore, config: TillConfig, journal: EventLog
    ) -> None:
        self.core = core
        self.api = api
        self.store = store
        self.config = config
        self.journal = journal
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._tries: dict[int, int] = {}

    def want(self, version: int | None, sha256: str | None = None) -> None:
        """Fetch `version` in a thread if it is not the installed one: another number,
        older too (a server restored from a backup), or the same number with other
        bytes (`sha256`, when known: a number built again after a restore)."""
        if version is None or self._installed(version, sha256) or self._lock.locked():
            return
        if self._tries.get(version, 0) >= MAX_TRIES:
            return
        thread = threading.Thread(target=self._fetch, name="till-snapshot", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _fetch(self) -> None:
        self.fetch()

    def _installed(self, version: int | None, sha256: str | None) -> bool:
        cat = self.core.catalogue
        if cat is None or cat.version != version:
            return False
        return not sha256 or not cat.sha256 or cat.sha256 == str(sha256).lower()

    def fetch(self) -> Catalogue | None:
        """Download, check and install the server's current snapshot: the catalogue
        installed (also told to the core), the one there if it is the same, or None."""
        with self._lock:
            version = None
            try:
                client = self.api()
                meta = client.snapshot_meta()
                version = meta.version
                if self._installed(version, meta.sha256):
                    return self.core.catalogue
                self._tries[version] = self._tries.get(version, 0) + 1
                data, header_sha, header_sig = client.snapshot(version)
            except (ServerError, KeyError, ValueError, TypeError) as e:
                log.warning("snapshot %s not downloaded: %s", version, e)
                return None
            expected = meta.sha256
            # The signature that came with the bytes; the metadata's if the header is absent.
            signature = header_sig or meta.signature or None
            try:
                if header_sha and header_sha.lower() != expected.lower():
                    raise SnapshotRejected("bad_sha256", "the server's two hashes disagree")
                cat = self.store.install(
                    data,
                    expected,
                    version,
                    self.config.server_id,
                    signature=signature,
                    signing_key=self.config.signing_key,
                )
            except SnapshotRejected as e:
                self.journal.record(EventType.SNAPSHOT_REJECTED, version=version, reason=e.reason)
                self.core.error("snapshot_rejected", f"snapshot {version} rejected: {e.message}")
                return None
            except OSError as e:
                self.core.error("snapshot_not_saved", f"snapshot {version} not saved: {e}")
                return None
            self.core.signal(SnapshotReady(cat, len(data)))
            return cat
