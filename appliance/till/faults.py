"""Crash points of the till, for the fault tests that prove a sale survives a till crash.

`AUTONOME_CRASH_AT=till_after_append` (a comma-separated list of names) makes
the till kill itself with SIGKILL at that point, the way a power cut would;
`AUTONOME_CRASH_AFTER=N` lets N passes through first. The same variables as
the server's crash points (`appliance.server.faults`), read only when set:
unset (always, in a shop), each check costs one dictionary lookup.

- `till_before_append`: the sale is paid and its record built, nothing written.
- `till_after_append`: the sale is in the outbox (fsync'd), not yet acknowledged
  (no `sale_closed`, no receipt).
- `till_mid_upload`: the server answered a batch of an upload (or of an online
  drain); `outbox.acked` has not moved yet. With AUTONOME_CRASH_AFTER=N, N
  batches go through first.
"""

from __future__ import annotations

import os
import signal
import threading

__all__ = ["POINTS", "crash_point"]

POINTS = ("till_before_append", "till_after_append", "till_mid_upload")

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
