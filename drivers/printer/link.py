"""One printer's connection: opened when needed, opened again after a failure.

The receipt printer and the cash drawer on its kick port share one link, so
their bytes never interleave. A printer that was power-cycled (a USB device
re-enumerated at a new address, a TCP connection reset) is found again by the
next call: a status read that fails on an open connection closes it and tries
once more on a fresh one. Sending is never retried here: whether a job may be
sent again is the job's business (`jobs.ReceiptPrinter`).

A job cut off in the middle leaves the printer waiting for the rest of a
command (an image, a barcode), which would swallow the start of the next job.
The next send after such a failure starts with DLE DC4 8 (Epson's real-time
"clear buffers"), which drops what the printer was still waiting for.
"""

from __future__ import annotations

import threading
import time

from .status import PrinterStatus, StatusError, check, query
from .transports import PrinterError, Timeouts, Transport

CLEAR_BUFFERS = b"\x10\x14\x08\x01\x03\x14\x01\x06\x02\x08"


class PrinterLink:
    def __init__(self, transport: Transport, timeouts: Timeouts | None = None) -> None:
        self.transport = transport
        self.timeouts = timeouts or getattr(transport, "timeouts", Timeouts())
        self.lock = threading.RLock()
        self.interrupted = False  # the last send broke off after some bytes

    @property
    def name(self) -> str:
        return self.transport.name

    def close(self) -> None:
        with self.lock:
            self.transport.close()

    def _open(self) -> bool:
        """Open if closed; True if it was open already (a failure may be a stale link)."""
        if self.transport.is_open:
            return True
        self.transport.open()
        return False

    def query(self, *ns: int, reconnect: bool = True) -> bytes:
        """DLE EOT n for each n, sent at once; the answers in order (one byte each).
        reconnect=False: on this connection only (the acknowledgement of a job)."""
        with self.lock:
            for attempt in (1, 2):
                was_open = self._open()
                try:
                    return self._query(ns)
                except PrinterError:
                    self.transport.close()
                    if attempt == 2 or not was_open or not reconnect:
                        raise
        raise AssertionError("unreachable")

    def _query(self, ns: tuple[int, ...]) -> bytes:
        t = self.transport
        t.drain()  # answers that came too late for an earlier question
        t.send(b"".join(query(n) for n in ns))
        deadline = time.monotonic() + self.timeouts.status_s
        got = b""
        while len(got) < len(ns):
            left = deadline - time.monotonic()
            if left <= 0:
                raise PrinterError("printer_not_answering", f"{t.name}: no status answer")
            got += t.read(left)
        try:
            for b in got[: len(ns)]:
                check(b)
        except StatusError as e:
            raise PrinterError("printer_not_answering", f"{t.name}: {e}") from e
        return got[: len(ns)]

    def status(self, reconnect: bool = True) -> PrinterStatus:
        """DLE EOT 1, 2 and 4; PrinterError if the printer cannot be reached or does not answer."""
        return PrinterStatus.from_bytes(*self.query(1, 2, 4, reconnect=reconnect))

    def send(self, data: bytes) -> None:
        """All of data or PrinterError (with `sent`); the link is closed after a failure."""
        with self.lock:
            self._open()
            prefix = CLEAR_BUFFERS if self.interrupted else b""
            try:
                self.transport.send(prefix + data)
            except PrinterError as e:
                self.transport.close()
                e.sent = max(0, e.sent - len(prefix))
                self.interrupted = self.interrupted or e.sent > 0
                raise
            self.interrupted = False
