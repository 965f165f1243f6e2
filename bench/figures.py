"""The figures of the core system, with the targets the issue set.

Each `measure(work)` gets an empty folder and returns one number. Servers and
tills run as real processes on loopback, through the product's own commands.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from appliance.processes import ServerProcess, TillProcess, autonome

ARTICLES = 100_000


@dataclass(frozen=True)
class Figure:
    name: str
    target: float
    unit: str
    measure: Callable[[Path], float]
    lower_is_better: bool = True


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


# -- a 100,000-article store, made once per run ------------------------------------------
BIG_STORE = Path(tempfile.gettempdir()) / f"autonome-bench-store-{os.getpid()}"


@functools.cache
def big_store() -> Path:
    """A server data folder with 100,000 articles and a built snapshot."""
    data = BIG_STORE / "server"
    data.parent.mkdir(parents=True, exist_ok=True)
    autonome("server", "init", "--data", str(data), "--generate", str(ARTICLES), timeout=600)
    autonome("snapshot", "build", "--data", str(data), timeout=600)
    return data


def big_snapshot() -> tuple[bytes, dict]:
    snaps = sorted((big_store() / "snapshots").glob("snapshot-*.json"))
    body = snaps[-1].read_bytes()
    return body, json.loads(body)


# -- server -------------------------------------------------------------------------
def snapshot_build(work: Path) -> float:
    from appliance.server.config import DataDir
    from appliance.server.snapshot import build_snapshot
    from appliance.server.storage import open_store

    data = DataDir(big_store())
    store = open_store(data.db)
    try:
        server_id = data.read_settings()["server_id"]
        t0 = time.perf_counter()
        build_snapshot(store, data, server_id)
        return time.perf_counter() - t0
    finally:
        store.close()


# -- till, in process -------------------------------------------------------------------
def snapshot_install(work: Path) -> float:
    import hashlib

    from appliance.till.snapshot import SnapshotStore

    body, _doc = big_snapshot()
    sha = hashlib.sha256(body).hexdigest()
    store = SnapshotStore(work / "snapshot")
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        cat = store.install(body, sha)
        assert cat.by_barcode(next(iter(_doc["barcodes"].values()))["code"])
        best = min(best, time.perf_counter() - t0)
    return best


def barcode_lookup_p99(work: Path) -> float:
    import random

    from appliance.till.snapshot import Catalogue

    body, doc = big_snapshot()
    cat = Catalogue.from_bytes(body)
    codes = [row["code"] for row in doc["barcodes"].values()]
    rng = random.Random(1)
    sample = [rng.choice(codes) for _ in range(50_000)] + [f"999{i:010d}" for i in range(5_000)]
    rng.shuffle(sample)
    times = []
    clock = time.perf_counter_ns
    for code in sample:
        t0 = clock()
        cat.by_barcode(code)
        times.append(clock() - t0)
    return p99(times) / 1e6


def _outbox_p99(work: Path, queued: int) -> float:
    from appliance.server.samples import SaleMaker
    from appliance.till.outbox import Outbox

    maker = SaleMaker(1, seed=7)
    box = Outbox.open(work)
    try:
        for _ in range(queued):
            box.append(maker.sale())
        times = []
        for _ in range(1000):
            rec = maker.sale()
            t0 = time.perf_counter()
            box.append(rec)
            times.append(time.perf_counter() - t0)
        return p99(times) * 1000
    finally:
        box.close()


def outbox_append_100(work: Path) -> float:
    return _outbox_p99(work, 100)


def outbox_append_10000(work: Path) -> float:
    return _outbox_p99(work, 10_000)


# -- server and tills as processes ---------------------------------------------------------
def online_commit_p99(work: Path) -> float:
    """20 tills PUT their sales at the same moment, 50 each."""
    from appliance.server.samples import SaleMaker

    server = ServerProcess(work / "server", mdns=False)
    server.data.mkdir()
    server.init("--demo")
    server.start()
    try:
        tokens = []
        for i in range(20):
            code = server.enrolment_code(f"bench {i}")
            r = httpx.post(server.url + "/api/v1/enroll", json={"code": code, "name": f"b{i}"})
            r.raise_for_status()
            tokens.append((r.json()["till_id"], r.json()["token"]))
        times: list[float] = []
        lock = threading.Lock()
        go = threading.Barrier(20)

        def till(till_id: int, token: str) -> None:
            maker = SaleMaker(till_id, seed=till_id)
            records = [maker.sale() for _ in range(50)]
            mine = []
            with httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {token}"}
            ) as c:
                go.wait()
                for rec in records:
                    t0 = time.perf_counter()
                    r = c.put(f"/api/v1/sales/{rec['sale_id']}", json=rec)
                    mine.append(time.perf_counter() - t0)
                    assert r.status_code == 201, r.text
            with lock:
                times.extend(mine)

        threads = [threading.Thread(target=till, args=t) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(times) == 1000, "some commits failed"
        return p99(times) * 1000
    finally:
        server.stop()


def _till_online(work: Path, server: ServerProcess) -> TillProcess:
    till = TillProcess(work / "till", "bench till")
    till.enroll(server.enrolment_code(till.name), server.url)
    return till


def upload_10000(work: Path) -> float:
    from appliance.server.samples import SaleMaker
    from appliance.till.outbox import Outbox

    server = ServerProcess(work / "server", mdns=False)
    server.data.mkdir()
    server.init("--demo")
    server.start()
    till = _till_online(work, server)
    try:
        till_id = json.loads((till.data / "till.json").read_text())["till_id"]
        maker = SaleMaker(till_id, seed=3, mode="autonomous")
        box = Outbox.open(till.data)
        for _ in range(10_000):
            box.append(maker.sale())
        box.close()
        till.start(server.url)
        till.wait_event("question", timeout=30, id="send_sales")
        t0 = time.perf_counter()
        till.send("answer", question="send_sales", answer="send")
        done = till.wait_event("upload_finished", timeout=120)
        seconds = time.perf_counter() - t0
        assert done["sent"] == 10_000, done
        return seconds
    finally:
        till.quit()
        server.stop()


def _question_after(work: Path, fault: str) -> float:
    server = ServerProcess(work / "server", mdns=False)
    server.data.mkdir()
    server.init("--demo")
    server.start()
    till = _till_online(work, server)
    try:
        till.start(server.url)
        till.wait_event("mode", mode="ONLINE", timeout=30)
        time.sleep(1.5)  # a heartbeat or two in steady state
        t0 = time.perf_counter()
        if fault == "kill":
            server.kill()
        else:  # the server hangs: the process is there, nothing answers
            assert server.proc is not None
            server.proc.send_signal(signal.SIGSTOP)
        till.wait_event("question", timeout=15, id="go_autonomous")
        return time.perf_counter() - t0
    finally:
        till.quit()
        if server.proc and server.proc.poll() is None:
            server.proc.send_signal(signal.SIGCONT)
        server.stop()


def question_after_kill(work: Path) -> float:
    return _question_after(work, "kill")


def question_after_hang(work: Path) -> float:
    return _question_after(work, "hang")


def till_rss(work: Path) -> float:
    """RSS of a headless till that runs on the 100,000-article snapshot."""
    server = ServerProcess(work / "server", mdns=False)
    server.data = big_store()
    server.log = work / "server.log"
    server.start()
    till = _till_online(work, server)
    try:
        till.start(server.url)
        till.wait_event("mode", mode="ONLINE", timeout=60)
        till.wait_event("snapshot_installed", timeout=60, past=True)
        time.sleep(1)
        assert till.proc is not None
        return psutil.Process(till.proc.pid).memory_info().rss / 2**20
    finally:
        till.quit()
        server.stop()


FIGURES = [
    Figure("snapshot_build_s", 2.0, "s", snapshot_build),
    Figure("snapshot_install_index_s", 0.5, "s", snapshot_install),
    Figure("barcode_lookup_p99_ms", 0.1, "ms", barcode_lookup_p99),
    Figure("till_rss_mb", 200, "MB", till_rss),
    Figure("outbox_append_p99_ms_100_queued", 2.0, "ms", outbox_append_100),
    Figure("outbox_append_p99_ms_10000_queued", 2.0, "ms", outbox_append_10000),
    Figure("online_commit_p99_ms_20_tills", 20.0, "ms", online_commit_p99),
    Figure("upload_10000_sales_s", 5.0, "s", upload_10000),
    Figure("server_killed_to_question_s", 3.0, "s", question_after_kill),
    Figure("server_hung_to_question_s", 3.0, "s", question_after_hang),
]
