"""The figures of the devices (issue 4): a scan decoded, a scan rung on a till, a
receipt rendered.

They run in this process on the drivers' and the till's own code, the way the
till calls it: no process to start, no device needed.
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


SCAN_ARTICLES = 100_000


def scan_to_line_p99(work: Path) -> float:
    """A French scanner's report sequence for an EAN-13 to the `line_added` event of a
    real till ringing from a 100,000-article snapshot (autonomous: looked up in the
    snapshot), in ms: the reports decoded, the code handed over by the scanner's
    callback (`TillDevices.on_scanner_event`, as the reader calls it), taken by the
    till's scan thread, looked up, rung, published. Every 20 scans the sale is
    cancelled (not timed), so sales stay the size of a shop's."""
    import random
    import threading

    from appliance.till.devconfig import DevicesConfig
    from appliance.till.devices import TillDevices
    from drivers.scanner import ReportDecoder
    from drivers.sim import reports_for
    from testbed.devices import autonomous_till, shop_snapshot

    till = autonomous_till(work / "till", snapshot=shop_snapshot(extra_articles=SCAN_ARTICLES))
    devices = TillDevices.attach(till, DevicesConfig())  # the scanner's side is driven here
    rung = threading.Event()
    added: list[dict] = []

    def on_event(event: dict) -> None:
        if event["event"] in ("line_added", "error"):
            added.append(event)
            rung.set()

    till.subscribe(on_event)
    rng = random.Random(4)
    codes = [f"2{rng.randrange(1, SCAN_ARTICLES + 1):012d}" for _ in range(SAMPLES // 2 + 100)]
    sequences = [reports_for(c, "fr", style="shift_apart", rollover=True) for c in codes]
    samples = []
    try:
        for i, (code, reports) in enumerate(zip(codes, sequences, strict=True)):
            if i % 20 == 0:
                till.cancel()
            rung.clear()
            t0 = time.perf_counter()
            (got,) = ReportDecoder("fr").feed_all(reports)
            devices.on_scanner_event({"event": "scanner_code", "code": got, "device": "bench"})
            if not rung.wait(5):
                raise AssertionError(f"no line_added for {code}")
            samples.append(time.perf_counter() - t0)
            if added[-1]["event"] == "error":
                raise AssertionError(f"the till refused {code}: {added[-1]['message']}")
            if added[-1]["line"]["article_id"] != till.catalogue.by_barcode(code)["article_id"]:
                raise AssertionError(f"{code} rang the wrong article")
    finally:
        till.stop()
    return _p99_ms(samples[100:])


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
