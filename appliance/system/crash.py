"""Crash points, for the fault tests that prove a sale survives a crash.

`AUTONOME_CRASH_AT=NAME` (a comma-separated list of names) makes the process
kill itself with SIGKILL when it reaches that point, the way a power cut would;
`AUTONOME_CRASH_AFTER=N` lets N passes through first. Unset (always, in a
shop), each check costs one dictionary lookup.

The server's points:
- `before_commit`, `after_commit`: inside a sale's ingestion, around the
  journal's commit; every sale passes both, once each, whichever path it takes
  (a PUT in a group commit, an upload batch).
- `print_sending`, `print_sent`: a kitchen ticket's delivery marked `sending`,
  then its bytes handed to the printer.

The till's points:
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

__all__ = ["SERVER_POINTS", "TILL_POINTS", "crash_point"]

SERVER_POINTS = ("before_commit", "after_commit", "print_sending", "print_sent")
TILL_POINTS = ("till_before_append", "till_after_append", "till_mid_upload")

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
