"""Wrong PINs at the till's login: after the store's `pin_tries` in a row the till
waits (`pin_lock_s`, doubling at each wrong PIN after it: domain.pinlock), and the
wait is kept in `pinlock.json` (fsync'd) so that a restart gives no tries back.

With the store's `pin_only_login`, the cashier may type only the PIN: the till finds
whose it is among the snapshot's cashiers (a PIN two cashiers share finds no one:
they choose their name).
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path
from typing import Any

import orjson

from appliance.domain import verify_pin
from appliance.domain.pinlock import PinLock
from appliance.system.files import atomic_write

__all__ = ["LOCK_NAME", "PinGuard"]

log = logging.getLogger(__name__)

LOCK_NAME = "pinlock.json"


class PinGuard:
    def __init__(self, directory: Path | None) -> None:
        self.path = None if directory is None else Path(directory) / LOCK_NAME
        self._lock = threading.Lock()
        self.state = PinLock()
        if self.path is not None:
            try:
                self.state = PinLock.from_dict(orjson.loads(self.path.read_bytes()))
            except FileNotFoundError:
                pass
            except (OSError, orjson.JSONDecodeError) as e:  # torn: start from zero, say it
                log.warning("%s cannot be read (%s): the PIN tries start over", self.path, e)

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            atomic_write(self.path, orjson.dumps(self.state.as_dict()))
        except OSError as e:  # disk full: kept in memory
            log.warning("%s not saved: %s", self.path, e)

    def login(self, reg: Any, cashier_id: str, pin: str) -> dict[str, Any] | None:
        """The cashier (`{"cashier_id", "name"}`) the id and PIN name, or None once it
        said why not (`error bad_login`, `pin_locked` with `wait_s`, `pin_ambiguous`).
        `cashier_id` empty: the PIN alone, when the store allows it."""
        cat = reg.core.catalogue
        rules = reg.approver.rules()
        now = reg.now().timestamp()
        with self._lock:
            wait = self.state.wait(now)
            if wait > 0:
                reg.error("pin_locked", _locked(wait), wait_s=math.ceil(wait))
                return None
            found = self._find(reg, cat, str(cashier_id or ""), str(pin), rules.pin_only_login)
            if found is None or found == "ambiguous":
                if found == "ambiguous":  # a right PIN: no try is counted
                    reg.error("pin_ambiguous", "this PIN is not one cashier's: choose your name")
                    return None
                wait = self.state.failed(now, rules.pin_tries, rules.pin_lock_s)
                self._save()
                if wait > 0:
                    reg.error("pin_locked", _locked(wait), wait_s=math.ceil(wait))
                else:
                    reg.error("bad_login", "unknown cashier or wrong PIN")
                return None
            if self.state.failures:
                self.state.succeeded()
                self._save()
        cid, row = found
        return {"cashier_id": cid, "name": row.get("name", "")}

    @staticmethod
    def _find(reg: Any, cat: Any, cashier_id: str, pin: str, pin_only: bool) -> Any:
        if cashier_id:
            row = cat.cashier(cashier_id)
            stored = (row or {}).get("pin_hash") or (row or {}).get("pin") or ""
            ok = row is not None and verify_pin(pin, str(stored))
            return (cashier_id, row) if ok else None
        if not pin_only:
            return None
        matches = [
            (str(cid), row)
            for cid, row in sorted(cat.cashiers.items())
            if verify_pin(pin, str(row.get("pin_hash") or row.get("pin") or ""))
        ]
        if len(matches) > 1:
            return "ambiguous"
        return matches[0] if matches else None


def _locked(wait: float) -> str:
    return f"too many wrong PINs: wait {math.ceil(wait)} s before the next try"
