"""What the touchscreen's status bar shows of the devices, published when it changes.

    {"printer": {"state": "ok" | "warning" | "problem" | "unknown" | "none",
                 "code": "paper_out" | ..., "message": ..., "name": ...},
     "scanner": {"state": "connected" | "disconnected" | "error" | "none", ...},
     "drawer":  {"state": "open" | "closed" | "unknown" | "none"},
     "kitchen": {printer_id: {"state": ..., "message": ...}}}

Printer codes and messages are drivers.printer.status.MESSAGES'.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from drivers.printer import MESSAGES, PRINTED, PrinterStatus, PrintResult

__all__ = ["DeviceStatus"]


class DeviceStatus:
    def __init__(
        self,
        *,
        printer: str | None,
        scanner: bool,
        drawer_open_is_high: bool | None,
        kitchen: list[str],
        publish: Callable[[dict[str, Any]], None],
    ) -> None:
        """`printer`: its name (None: no printer); `drawer_open_is_high`: None without
        a drawer; `publish(status)` is called, outside any lock, on each change."""
        self._printer_name = printer
        self._open_is_high = drawer_open_is_high
        self._publish = publish
        self._lock = threading.Lock()
        self._published: dict[str, Any] | None = None
        self._state: dict[str, Any] = {
            "printer": {"state": "none"}
            if printer is None
            else {"state": "unknown", "code": None, "message": "", "name": printer},
            "scanner": {"state": "disconnected", "device": None, "message": ""}
            if scanner
            else {"state": "none"},
            "drawer": {"state": "none" if drawer_open_is_high is None else "unknown"},
            "kitchen": {pid: {"state": "unknown", "message": ""} for pid in kitchen},
        }

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return _copy(self._state)

    def publish(self) -> None:
        """Publish if it changed since the last time."""
        with self._lock:
            if self._state == self._published:
                return
            self._published = _copy(self._state)
            status = _copy(self._state)
        self._publish(status)

    def _set(self, **parts: Any) -> None:
        with self._lock:
            self._state.update(parts)
        self.publish()

    # -- what happened --------------------------------------------------------------------
    def scanner(self, event: dict[str, Any]) -> None:
        name = event.get("event")
        with self._lock:
            scanner = dict(self._state["scanner"])
        if name == "scanner_connected":
            scanner.update(state="connected", device=event.get("device"), message="")
        elif name == "scanner_disconnected":
            scanner.update(state="disconnected", message=event.get("message", ""))
        elif name == "scanner_error":
            scanner.update(state="error", error=event.get("error"), message=event.get("message"))
        else:
            return
        self._set(scanner=scanner)

    def printer(self, status: PrinterStatus) -> None:
        """A status read (DLE EOT): the printer's, and the drawer's switch with it."""
        problems = status.problems
        parts: dict[str, Any] = {
            "printer": {
                "state": "ok" if not problems else "problem" if not status.can_print else "warning",
                "code": problems[0] if problems else None,
                "message": status.message,
                "name": self._printer_name,
            }
        }
        if self._open_is_high is not None:
            is_open = status.drawer_pin3_high == self._open_is_high
            parts["drawer"] = {"state": "open" if is_open else "closed"}
        self._set(**parts)

    def printer_problem(self, code: str, message: str = "") -> None:
        """No status could be read (unreachable, no answer)."""
        parts: dict[str, Any] = {
            "printer": {
                "state": "problem",
                "code": code,
                "message": MESSAGES.get(code, message),
                "name": self._printer_name,
            }
        }
        if self._open_is_high is not None:
            parts["drawer"] = {"state": "unknown"}
        self._set(**parts)

    def printed(self, result: PrintResult) -> None:
        """A print's outcome: its status read after the job, else its problem."""
        if result.status is not None:
            self.printer(result.status)
        elif result.problems:
            self.printer_problem(result.problems[0], result.message)

    def drawer_unknown(self) -> None:
        if self._open_is_high is not None:
            self._set(drawer={"state": "unknown"})

    def kitchen(self, pid: str, result: PrintResult) -> None:
        state = "problem" if result.state != PRINTED else "warning" if result.problems else "ok"
        with self._lock:
            kitchen = dict(self._state["kitchen"])
        kitchen[pid] = {"state": state, "message": result.message}
        self._set(kitchen=kitchen)


def _copy(state: dict[str, Any]) -> dict[str, Any]:
    out = {k: dict(v) for k, v in state.items()}
    out["kitchen"] = {pid: dict(v) for pid, v in state["kitchen"].items()}
    return out
