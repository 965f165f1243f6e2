"""Keeping the till's snapshot up to date: download, check, install, in the background."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from appliance.domain import EventType

from .client import ServerError
from .snapshot import SnapshotRejected

if TYPE_CHECKING:
    from .session import Till

__all__ = ["MAX_TRIES", "SnapshotFetcher"]

log = logging.getLogger(__name__)

MAX_TRIES = 3  # per version and per run: a snapshot that keeps failing is left alone


class SnapshotFetcher:
    def __init__(self, till: Till) -> None:
        self.till = till
        self._lock = threading.Lock()
        self._tries: dict[int, int] = {}

    def want(self, version: int | None, sha256: str | None = None) -> None:
        """Fetch `version` in a thread if it is not the installed one: another number,
        older too (a server restored from a backup), or the same number with other
        bytes (`sha256`, when known: a number built again after a restore)."""
        t = self.till
        if version is None or self._installed(version, sha256) or self._lock.locked():
            return
        if self._tries.get(version, 0) >= MAX_TRIES:
            return
        thread = threading.Thread(
            target=self.fetch, args=(version,), name="till-snapshot", daemon=True
        )
        t.threads.append(thread)
        thread.start()

    def _installed(self, version: int | None, sha256: str | None) -> bool:
        cat = self.till.catalogue
        if cat is None or cat.version != version:
            return False
        return not sha256 or not cat.sha256 or cat.sha256 == str(sha256).lower()

    def fetch(self, version: int | None = None) -> bool:
        """Download, check and install the server's current snapshot; True when installed.

        `version` is what was announced; the server's current one is fetched.
        """
        t = self.till
        with self._lock:
            try:
                client = t.client()
                meta = client.snapshot_meta()
                version = int(meta["version"])
                if self._installed(version, meta.get("sha256")):
                    return True
                self._tries[version] = self._tries.get(version, 0) + 1
                data, header_sha, header_sig = client.snapshot(version)
            except (ServerError, KeyError, ValueError, TypeError) as e:
                log.warning("snapshot %s not downloaded: %s", version, e)
                return False
            expected = str(meta.get("sha256", ""))
            # The signature that came with the bytes; the metadata's if the header is absent.
            signature = header_sig or meta.get("signature") or None
            try:
                if header_sha and header_sha.lower() != expected.lower():
                    raise SnapshotRejected("bad_sha256", "the server's two hashes disagree")
                cat = t.snapshots.install(
                    data,
                    expected,
                    version,
                    t.config.server_id,
                    signature=signature,
                    signing_key=t.config.signing_key,
                )
            except SnapshotRejected as e:
                t.events.record(EventType.SNAPSHOT_REJECTED, version=version, reason=e.reason)
                t.error("snapshot_rejected", f"snapshot {version} rejected: {e.message}")
                return False
            except OSError as e:
                t.error("snapshot_not_saved", f"snapshot {version} not saved: {e}")
                return False
            t.catalogue = cat
            t.events.record(EventType.SNAPSHOT_INSTALLED, version=version, size=len(data))
            t.bus.publish("snapshot_installed", version=version, articles=len(cat.articles))
            return True
