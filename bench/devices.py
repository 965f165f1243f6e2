"""The figures of the devices (issue 4): a scan decoded, a receipt rendered.

Both run in this process on the drivers' own code, the way the till will call
it: no process to start, no device needed.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

SAMPLES = 2000


def _p99_ms(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98] * 1000


def scanner_decode_p99(work: Path) -> float:
    """The reports a French scanner sends for an EAN-13 (digits with Shift,
    Enter after) turned into the code by a fresh decoder, in ms."""
    from drivers.scanner import ReportDecoder
    from drivers.sim import reports_for

    code = "3760000000017"
    reports = reports_for(code, "fr", style="shift_apart", rollover=True)
    samples = []
    for _ in range(SAMPLES + 200):
        t0 = time.perf_counter()
        got = ReportDecoder("fr").feed_all(reports)
        samples.append(time.perf_counter() - t0)
        if got != [code]:
            raise AssertionError(f"decoded {got}, expected {code}")
    return _p99_ms(samples[200:])


def receipt_render_p99(work: Path) -> float:
    """A full receipt (logo, 5 lines, VAT table, EAN-13, QR, cut) to ESC/POS bytes, in ms."""
    from drivers.printer import render
    from drivers.sim.samples import sample_receipt

    doc = sample_receipt()
    render(doc)  # python-escpos is loaded by the first render, not timed
    samples = []
    for _ in range(SAMPLES // 4 + 50):
        t0 = time.perf_counter()
        data = render(doc)
        samples.append(time.perf_counter() - t0)
        if not data.startswith(b"\x1b@\x1bt\x13"):
            raise AssertionError("the receipt does not start with ESC @ ESC t 19")
    return _p99_ms(samples[50:])
