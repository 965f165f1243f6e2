"""The scanner's read loop: find, open, read, decode; unplug and plug back.

Events go to `on_event` as plain dicts, from the reader's thread:

- `{"event": "scanner_connected", "device": ...}`
- `{"event": "scanner_code", "code": ..., "device": ...}`
- `{"event": "scanner_disconnected", "device": ..., "message": "scanner disconnected: ..."}`
- `{"event": "scanner_error", "error": code, "errno": n, "message": ..., "udev_rules": path}`
  (once per distinct error, not at every retry)

With no scanner, the bus is polled every `poll_s` seconds (0.5 s: a scanner
plugged back in is reading again well within 2 s).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import usb.core

from drivers.udev import rules_path as udev_rules_path

from .decoder import ReportDecoder
from .device import OpenScanner, ScannerError, ScannerMatch, find_scanner
from .keymaps import Layout

log = logging.getLogger(__name__)

Event = dict[str, Any]


def default_backend():
    """libusb-1.0 through pyusb; None when the library is missing."""
    import usb.backend.libusb1

    return usb.backend.libusb1.get_backend()


class ScannerReader:
    def __init__(
        self,
        on_event: Callable[[Event], None],
        *,
        keyboard_layout: str | Layout = "us",
        match: ScannerMatch | None = None,
        backend=None,
        poll_s: float = 0.5,
        read_timeout_ms: int = 100,
    ) -> None:
        self.on_event = on_event
        self.decoder = ReportDecoder(keyboard_layout)
        self.match = match or ScannerMatch()
        self.backend = backend
        self.poll_s = poll_s
        self.read_timeout_ms = read_timeout_ms
        self._scanner: OpenScanner | None = None
        self._last_error: tuple[str, str] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- as a thread ---------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the scanner reader is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="scanner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> None:
        """Read until stop(); call it in a thread of your own, or use start()."""
        if self.backend is None:
            self.backend = default_backend()
            if self.backend is None:
                self._error(ScannerError(
                    "no_libusb", "libusb-1.0 is not installed: the scanner cannot be read "
                    "(install the package libusb-1.0-0)"))  # fmt: skip
                return
        try:
            while not self._stop.is_set():
                if self._scanner is None and not self._connect():
                    self._stop.wait(self.poll_s)
                    continue
                self.step()
        finally:
            self._close()

    def step(self) -> None:
        """One read of the open scanner (the loop's body)."""
        assert self._scanner is not None
        try:
            report = self._scanner.read(self.read_timeout_ms)
        except ScannerError as e:
            self._lost(e)
            return
        if report is None:
            return
        code = self.decoder.feed(report)
        if code is not None:
            self.on_event({"event": "scanner_code", "code": code, "device": self._scanner.name})

    def _connect(self) -> bool:
        try:
            dev = find_scanner(self.match, self.backend)
        except usb.core.USBError as e:  # enumeration itself failed
            log.warning("scanner: USB enumeration failed: %s", e)
            return False
        if dev is None:
            return False
        try:
            self._scanner = OpenScanner(dev)
        except ScannerError as e:
            self._error(e)
            return False
        self._last_error = None
        self.decoder.reset()
        self.on_event({"event": "scanner_connected", "device": self._scanner.name})
        return True

    def _lost(self, e: ScannerError) -> None:
        name = self._scanner.name if self._scanner else ""
        self._close()
        self.decoder.reset()
        if e.code == "scanner_disconnected":
            self.on_event({"event": "scanner_disconnected", "device": name, "message": e.message})
        else:
            self._error(e)

    def _error(self, e: ScannerError) -> None:
        key = (e.code, e.message)
        if key == self._last_error:
            return
        self._last_error = key
        log.warning("%s", e.message)
        self.on_event({"event": "scanner_error", "error": e.code, "errno": e.errno,
                       "message": e.message, "udev_rules": str(udev_rules_path())})  # fmt: skip

    def _close(self) -> None:
        if self._scanner is not None:
            self._scanner.close()
            self._scanner = None
