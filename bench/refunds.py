"""The shop's figure: a return found by its ticket number on an autonomous till whose
journal (its outbox, never compacted) holds 50,000 sales.

The outbox is written as a till writes it (one checked line a sale) and opened as a
till opens it at start; then the refund desk (till/refunds.py) looks up tickets
typed as the cashier types them, each time from the ticket to the `refund_found`
event with every line's sold, refunded and left quantities, by number and by the
receipt's code. The desk is given the core's door as the till gives it (its mode,
autonomous here: no server is asked).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.figures import Figure, p99

__all__ = ["REFUND_FIGURES"]

SALES = 50_000
LOOKUPS = 400


class _Door:
    """What the desk reads of the core (ports.Core): autonomous, no catalogue."""

    catalogue = None

    def __init__(self) -> None:
        from appliance.till.modes import Mode

        self.mode = Mode.AUTONOMOUS
        self.seen: list[dict[str, Any]] = []

    def publish(self, name: str, /, **fields: Any) -> dict[str, Any]:
        ev = {"event": name, **fields}
        self.seen.append(ev)
        return ev

    def error(self, code: str, message: str, **extra: Any) -> dict[str, Any]:
        raise AssertionError(f"{code}: {message}")

    def signal(self, *_a: Any, **_k: Any) -> bool:
        return False


def refund_found_ms(work: Path) -> float:
    import orjson

    from appliance.domain.refund import ticket_reference
    from appliance.server.samples import SaleMaker
    from appliance.till.fsio import encode_line
    from appliance.till.outbox import LOG_NAME, Outbox
    from appliance.till.refunds import RefundDesk

    till_id = 3
    maker = SaleMaker(till_id, seed=14, mode="autonomous")
    ids = []
    work.mkdir(parents=True, exist_ok=True)
    with open(work / LOG_NAME, "wb") as f:
        for _ in range(SALES):
            rec = maker.sale()
            ids.append(rec["sale_id"])
            f.write(encode_line(orjson.dumps(rec)))
        f.flush()
        os.fsync(f.fileno())
    t0 = time.perf_counter()
    box = Outbox.open(work)
    opened = time.perf_counter() - t0
    door = _Door()
    desk = RefundDesk(
        door, lambda: None, box, till_id=till_id, cashier=lambda: {"cashier_id": "c1"},
        now=lambda: None, lock=threading.RLock(), wake=threading.Event(), threshold=lambda: 0,
    )  # fmt: skip
    rng = random.Random(14)
    times: list[float] = []
    try:
        for i in range(LOOKUPS):
            seq = rng.randint(1, SALES)
            typed = (
                str(seq)
                if i % 3 == 0
                else ticket_reference(till_id, seq)
                if i % 3 == 1
                else ids[seq - 1]
            )
            t0 = time.perf_counter()
            ev = desk.find(typed)
            times.append(time.perf_counter() - t0)
            assert ev is not None and ev["sale_id"] == ids[seq - 1], ev
    finally:
        box.close()
    print(
        f"  refunds: {LOOKUPS} tickets found among {SALES} sales, median "
        f"{statistics.median(times) * 1e3:.2f} ms, p99 {p99(times) * 1e3:.2f} ms; the outbox "
        f"opened in {opened:.2f} s",
        file=sys.stderr,
        flush=True,
    )
    return p99(times) * 1000


REFUND_FIGURES = [
    Figure("refund_ticket_found_p99_ms_autonomous_50000_sales", 50.0, "ms", refund_found_ms),
]


def name_search_p99(work: Path) -> float:
    """A name search over the 100,000 articles of the big store's snapshot, the index
    built once (its time printed apart): words of the names, alone and by two, and
    words no name holds."""
    from appliance.till.snapshot import Catalogue
    from bench.figures import big_snapshot

    body, _doc = big_snapshot()
    cat = Catalogue.from_bytes(body)
    t0 = time.perf_counter()
    cat.search("x")
    built = time.perf_counter() - t0
    rng = random.Random(14)
    names = [str(r["name"]) for r in cat.articles.values()]
    queries: list[str] = []
    for _ in range(2000):
        words = rng.choice(names).split()
        kind = rng.randrange(4)
        if kind == 0:
            queries.append(words[0][:4])
        elif kind == 1:
            queries.append(" ".join(words[:2]))
        elif kind == 2:
            queries.append(f"{words[0]} {words[-1]}")
        else:
            queries.append(f"zq{rng.randrange(10**6)}")
    times = []
    for q in queries:
        t0 = time.perf_counter()
        cat.search(q)
        times.append(time.perf_counter() - t0)
    print(
        f"  name search: {len(cat.articles)} articles, index built in {built * 1e3:.0f} ms; "
        f"{len(queries)} searches, median {statistics.median(times) * 1e3:.2f} ms, "
        f"p99 {p99(times) * 1e3:.2f} ms",
        file=sys.stderr,
        flush=True,
    )
    return p99(times) * 1000


REFUND_FIGURES.append(Figure("name_search_p99_ms_100000_articles", 50.0, "ms", name_search_p99))
