"""Wrong PINs at the till: after `tries` in a row it waits, longer each time.

A pure state (`PinLock`): the till keeps it in a file so that a restart of the
screen does not give the tries back. The first wait is `lock_s`; each wrong
PIN after it doubles the wait (capped at a day). A right PIN starts over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_WAIT_S", "PinLock"]

MAX_WAIT_S = 86_400


@dataclass
class PinLock:
    failures: int = 0
    #: the time (seconds since the epoch) before which no PIN is tried
    locked_until: float = 0.0

    def wait(self, now: float) -> float:
        """Seconds left before a PIN may be tried (0: it may)."""
        return max(0.0, self.locked_until - now)

    def failed(self, now: float, tries: int, lock_s: int) -> float:
        """A wrong PIN: the wait it brings (0 while tries are left)."""
        self.failures += 1
        if self.failures < tries:
            return 0.0
        wait = float(min(MAX_WAIT_S, lock_s * 2 ** (self.failures - tries)))
        self.locked_until = now + wait
        return wait

    def succeeded(self) -> None:
        self.failures, self.locked_until = 0, 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"failures": self.failures, "locked_until": self.locked_until}

    @classmethod
    def from_dict(cls, raw: Any) -> PinLock:
        """The state a file held; a field that cannot be read starts from zero."""
        if not isinstance(raw, dict):
            return cls()
        failures, until = raw.get("failures"), raw.get("locked_until")
        ok_f = isinstance(failures, int) and not isinstance(failures, bool) and failures >= 0
        ok_u = isinstance(until, int | float) and not isinstance(until, bool)
        return cls(failures if ok_f else 0, float(until) if ok_u else 0.0)
