"""The restaurant's figure: a table opened, and a round sent to the kitchen, on a real
headless till online, while 20 other tills keep the store server busy.

The 20 busy tills are HTTPS clients with their own tokens: each in turn commits a
sale, opens a table of its own, writes a round on it and sends a kitchen ticket,
pausing 20 ms between requests (a lunchtime rush, not a flood). The measured till
is `autonome till --headless`: the time from its `table` command to the event that
says it is done (`table_opened`: kept on the till's disk and by the server;
`round_sent`: the tickets accepted by the server's spooler, the round marked).
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

from appliance.processes import ServerProcess, TillProcess, autonome
from bench.figures import Figure, p99

__all__ = ["TABLE_FIGURES"]

BUSY_TILLS = 20
CYCLES = 4  # each of the demo's 12 tables opened, ordered, sent and paid this many times
PAUSE_S = 0.02
DISH, BEER = "A104", "A139"


def _busy(server: ServerProcess, i: int, stop: threading.Event, counts: list[int]) -> None:
    from appliance.domain.tables import Tab
    from appliance.server.samples import SaleMaker

    code = server.enrolment_code(f"busy {i}")
    tls = server.tls()
    r = httpx.post(server.url + "/api/v1/enroll", json={"code": code, "name": f"busy {i}"},
                   verify=tls)  # fmt: skip
    r.raise_for_status()
    doc = r.json()
    maker = SaleMaker(doc["till_id"], seed=i)
    beer = {"article_id": BEER, "name": "Bière", "price": 350, "vat_bp": 2000, "category": "x"}
    with httpx.Client(
        base_url=server.url + "/api/v1",
        headers={"Authorization": f"Bearer {doc['token']}"},
        verify=tls,
        timeout=30,
    ) as http:
        n = 0
        while not stop.is_set():
            n += 1
            sale = maker.sale()
            steps = [
                ("PUT", f"/sales/{sale['sale_id']}", sale),
                ("PUT", f"/tables/B{i}-{n % 5}", None),
                ("POST", "/print-jobs", {
                    "job_id": str(uuid.uuid4()), "till_id": doc["till_id"], "table": f"B{i}",
                    "lines": [{"name": "Bière", "quantity": 1, "category": "alcools"}],
                }),
            ]  # fmt: skip
            for method, path, body in steps:
                if stop.is_set():
                    return
                if body is None:  # a table of its own, opened then closed at once
                    tab = Tab.open(path.rsplit("/", 1)[1], 2, "2026-12-03T12:00:00+00:00")
                    tab.add(beer)
                    http.put(path, json=tab.as_dict()).raise_for_status()
                    ids = [ln.line_id for ln in tab.lines]
                    tab.paid_with({"sale_id": sale["sale_id"],
                                   "table": {"opening": tab.opening, "line_ids": ids}})  # fmt: skip
                    body = tab.as_dict()
                http.request(method, path, json=body).raise_for_status()
                counts[i] += 1
                time.sleep(PAUSE_S)


def _timed(till: TillProcess, event: str, **cmd: object) -> float:
    t0 = time.perf_counter()
    till.send("table", **cmd)
    till.wait_for(lambda ev: ev.get("event") in (event, "error"), 30, what=event)
    ev = till.history[-1]
    assert ev["event"] == event, ev
    return time.perf_counter() - t0


def table_open_and_round_p99(work: Path) -> float:
    from drivers.sim import SimPrinter

    printers = {"cuisine": SimPrinter(), "bar": SimPrinter()}
    for p in printers.values():
        p.serve_tcp(port=0)
    server = ServerProcess(work / "server", mdns=False)
    server.data.mkdir()
    opts = [x for pid, p in printers.items() for x in ("--printer", f"{pid}={p.tcp.address}")]
    server.init("--demo", *opts)
    autonome("snapshot", "build", "--data", str(server.data))
    server.start()
    stop = threading.Event()
    counts = [0] * BUSY_TILLS
    busy = [
        threading.Thread(target=_busy, args=(server, i, stop, counts), daemon=True)
        for i in range(BUSY_TILLS)
    ]
    till = TillProcess(work / "till", "bench tables")
    till.enroll(server.enrolment_code(till.name), server.url, server.fingerprint())
    opened: list[float] = []
    sent: list[float] = []
    try:
        till.start(server.url)
        till.wait_event("mode", mode="ONLINE", timeout=30)
        till.send("login", cashier="c1", pin="1234")
        till.wait_event("logged_in")
        for t in busy:
            t.start()
        time.sleep(2)  # the rush under way
        t_busy = time.perf_counter()
        before = sum(counts)
        tables = [f"T{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13)]
        for cycle in range(CYCLES + 1):
            for tid in tables:
                o = _timed(till, "table_opened", action="open", table_id=tid, covers=2)
                _timed(till, "table", action="order", table_id=tid, article_id=DISH)
                _timed(till, "table", action="order", table_id=tid, article_id=BEER)
                s = _timed(till, "round_sent", action="send", table_id=tid)
                _timed(till, "table_closed", action="pay", table_id=tid, method="card")
                if cycle:  # the first cycle warms up, not counted
                    opened.append(o)
                    sent.append(s)
        rate = (sum(counts) - before) / (time.perf_counter() - t_busy)
        samples = opened + sent
        print(
            f"  tables: {len(opened)} opened, median {statistics.median(opened) * 1e3:.1f} ms, "
            f"p99 {p99(opened) * 1e3:.1f} ms; {len(sent)} rounds sent, median "
            f"{statistics.median(sent) * 1e3:.1f} ms, p99 {p99(sent) * 1e3:.1f} ms; "
            f"the 20 busy tills made {rate:.0f} requests/s meanwhile",
            file=sys.stderr,
            flush=True,
        )
        return p99(samples) * 1000
    finally:
        stop.set()
        for t in busy:
            t.join(10)
        till.quit()
        server.stop()
        for p in printers.values():
            p.close()


TABLE_FIGURES = [
    Figure("table_open_and_round_p99_ms_20_tills", 100.0, "ms", table_open_and_round_p99),
]
