"""The last update's result, as the appliance's updater leaves it on the data partition.

`/var/lib/autonome/update-status.json` (or `$AUTONOME_UPDATE_STATUS`) holds one
JSON object: `result` (installing, installed, good, failed, rolled_back), `ok`,
`at`, `slot`, `booted`, `version`, `bundle`, `reason`. The updater
(`appliance.updates`) writes it; the till core reads it and publishes it as the
`update` event (`UpdateWatch`), so that the status bar shows a failed update's
reason on the till it failed on.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appliance.system.files import atomic_write

__all__ = ["FAILED", "UpdateWatch", "read_status", "status_path", "write_status"]

log = logging.getLogger(__name__)

DEFAULT_PATH = "/var/lib/autonome/update-status.json"
#: the results a cashier is shown: the update did not take
FAILED = frozenset({"failed", "rolled_back"})


def status_path() -> Path:
    return Path(os.environ.get("AUTONOME_UPDATE_STATUS") or DEFAULT_PATH)


def read_status(path: Path | None = None) -> dict[str, Any] | None:
    """The last result (None when no update ever ran here). A damaged file reads as
    a failure that says so: the file is written atomically, so only the disk damages it."""
    path = path or status_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        return {"result": "failed", "ok": False, "reason": f"{path} cannot be read: {e}"}
    try:
        status = json.loads(raw)
    except ValueError:
        status = None
    if not isinstance(status, dict) or not isinstance(status.get("result"), str):
        return {"result": "failed", "ok": False, "reason": f"{path} is damaged"}
    return status


def write_status(result: str, path: Path | None = None, **fields: Any) -> dict[str, Any]:
    """Record the last update's result durably; never raises (the update's outcome does
    not depend on its report). On a full disk the atomic write has no room for its temp
    file: the file is then rewritten in place, in the block it already holds."""
    path = path or status_path()
    status = {
        "result": result,
        "ok": result not in FAILED,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **fields,
    }
    data = (json.dumps(status, ensure_ascii=False, indent=1) + "\n").encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
    except OSError as e:
        try:
            _rewrite_in_place(path, data)
        except OSError as e2:
            log.error("update status not saved in %s (%s; %s): %s", path, e, e2, status)
        else:
            log.warning("update status rewritten in place (%s)", e)
    return status


def _rewrite_in_place(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        size = os.fstat(fd).st_size
        # padded with spaces to the old size: no block is freed, none is needed
        os.pwrite(fd, data.ljust(size) if len(data) < size else data, 0)
        if len(data) > size:
            os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


class UpdateWatch(threading.Thread):
    """Publishes the status file's content at start and whenever it changes."""

    def __init__(
        self,
        publish: Callable[..., Any],
        stopping: threading.Event,
        path: Path | None = None,
        every_s: float = 5.0,
    ) -> None:
        super().__init__(name="update-watch", daemon=True)
        self.publish = publish
        self.stopping = stopping
        self.path = path or status_path()
        self.every_s = every_s
        self._seen: tuple[int, int] | None = None

    def poll(self) -> dict[str, Any] | None:
        """Publish if the file changed since the last look; what was published."""
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = (0, 0)
        if stamp == self._seen:
            return None
        self._seen = stamp
        status = read_status(self.path)
        if status is None:
            return None
        fields = {k: v for k, v in status.items() if k != "event"}
        self.publish("update", **fields)
        return fields

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll()
            except Exception:  # a report never stops the till
                log.exception("update status not read")
            self.stopping.wait(self.every_s)
