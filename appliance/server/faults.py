"""Crash points, for the fault tests that prove a sale survives a server crash.

`AUTONOME_CRASH_AT=before_commit` (or `after_commit`) makes the server kill
itself with SIGKILL at that point of a sale's ingestion, the way a power cut
would. `AUTONOME_CRASH_AFTER=N` lets N sales through first. Unset (always, in a
shop), each check costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
import threading

__all__ = ["crash_point"]

_passed = 0
_lock = threading.Lock()


def crash_point(name: str) -> None:
    """SIGKILL this process if the environment asks for a crash at `name`."""
    wanted = os.environ.get("AUTONOME_CRASH_AT")
    if not wanted or name not in wanted.split(","):
        return
    global _passed
    with _lock:
        _passed += 1
        if _passed <= int(os.environ.get("AUTONOME_CRASH_AFTER", "0")):
            return
    os.kill(os.getpid(), signal.SIGKILL)
