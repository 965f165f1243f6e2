"""The figures of the core system, with the targets the issue set.

Each `measure(work)` gets an empty folder and returns one number. Servers and
tills run as real processes on loopback, through the product's own commands.
"""

from __future__ import annotations

import functools
import json
import os
import selectors
import signal
import socket
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from appliance.processes import ServerProcess, TillProcess, autonome
from bench.devices import receipt_render_p99, scan_to_line_p99, scanner_decode_p99

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

    from appliance.protocol.signing import load_private_key, public_key_b64, sign
    from appliance.till.snapshot import SnapshotStore

    body, _doc = big_snapshot()
    sha = hashlib.sha256(body).hexdigest()
    key = load_private_key((big_store() / "signing.key").read_bytes())
    signed = {"signature": sign(key, body), "signing_key": public_key_b64(key)}
    store = SnapshotStore(work / "snapshot")
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        cat = store.install(body, sha, **signed)  # the signature is checked: timed too
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
TILLS = 20
ROUNDS = 50
WARMUP_ROUNDS = 2


class _Till:
    """One till's keep-alive HTTPS (HTTP/1.1) connection, pinned to the server's certificate
    as a till's is, with its requests written out in advance, so the client spends a few
    microseconds per request, not the server's CPU."""

    def __init__(
        self, host: str, port: int, till_id: int, token: str, rounds: int, tls: ssl.SSLContext
    ) -> None:
        from appliance.server.samples import SaleMaker

        maker = SaleMaker(till_id, seed=till_id)
        self.requests = []
        for rec in maker.many(rounds):
            body = json.dumps(rec, separators=(",", ":")).encode()
            head = (
                f"PUT /api/v1/sales/{rec['sale_id']} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            self.requests.append(head.encode() + body)
        raw = socket.create_connection((host, port))
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = tls.wrap_socket(raw)
        self.buf = b""
        self.t0 = 0.0

    def send(self, i: int) -> None:
        self.buf = b""
        self.t0 = time.perf_counter()
        self.sock.sendall(self.requests[i])

    def answer(self) -> tuple[int, bytes] | None:
        """Read what has come; (status, body) once the whole answer is in."""
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        while self.sock.pending():  # decrypted bytes the selector cannot see
            data += self.sock.recv(65536)
        self.buf += data
        head, sep, body = self.buf.partition(b"\r\n\r\n")
        if not sep:
            return None
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(body) < length:
            return None
        return int(head.split(b" ", 2)[1]), body


def _commit_rounds(tills: list[_Till], rounds: range, *, barrier: bool):
    """Latencies (s) of every PUT. With `barrier`, each round sends one sale per till at
    once and waits for all answers; without, each till sends its next sale as soon as
    it has the answer to the previous one (saturating)."""
    sel = selectors.DefaultSelector()
    for t in tills:
        sel.register(t.sock, selectors.EVENT_READ, t)
    times: list[float] = []
    try:
        if barrier:
            for i in rounds:
                for t in tills:
                    t.send(i)
                waiting = len(tills)
                while waiting:
                    for key, _ in sel.select(30):
                        t = key.data
                        done = t.answer()
                        if done is None:
                            continue
                        times.append(time.perf_counter() - t.t0)
                        assert done[0] == 201, done
                        waiting -= 1
        else:
            nxt = {id(t): iter(rounds) for t in tills}
            waiting = 0
            for t in tills:
                t.send(next(nxt[id(t)]))
                waiting += 1
            while waiting:
                for key, _ in sel.select(30):
                    t = key.data
                    done = t.answer()
                    if done is None:
                        continue
                    times.append(time.perf_counter() - t.t0)
                    assert done[0] == 201, done
                    waiting -= 1
                    i = next(nxt[id(t)], None)
                    if i is not None:
                        t.send(i)
                        waiting += 1
    finally:
        sel.close()
    return times


def _online_commit(work: Path, *, barrier: bool) -> float:
    """p99 (ms) of 20 tills, each with its own token and chained sales, committing online."""
    server = ServerProcess(work / "server", mdns=False)
    server.data.mkdir()
    server.init("--demo")
    server.start()
    tills: list[_Till] = []
    try:
        host, port = "127.0.0.1", server.port
        tls = server.tls()
        for i in range(TILLS):
            code = server.enrolment_code(f"bench {i}")
            r = httpx.post(
                server.url + "/api/v1/enroll", json={"code": code, "name": f"b{i}"}, verify=tls
            )
            r.raise_for_status()
            doc = r.json()
            rounds = WARMUP_ROUNDS + ROUNDS
            tills.append(_Till(host, port, doc["till_id"], doc["token"], rounds, tls))
        # Warm-up: the first sales of each till (imports, caches), not counted.
        _commit_rounds(tills, range(WARMUP_ROUNDS), barrier=True)
        assert server.proc is not None
        proc = psutil.Process(server.proc.pid)
        cpu0, client0, wall0 = proc.cpu_times(), time.process_time(), time.perf_counter()
        times = _commit_rounds(tills, range(WARMUP_ROUNDS, WARMUP_ROUNDS + ROUNDS), barrier=barrier)
        wall = time.perf_counter() - wall0
        cpu1, client = proc.cpu_times(), time.process_time() - client0
        assert len(times) == TILLS * ROUNDS, "some commits failed"
        server_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        print(
            f"  online commit ({'rounds' if barrier else 'saturating'}): "
            f"{len(times)} sales in {wall:.2f} s, median {statistics.median(times) * 1e3:.2f} ms, "
            f"max {max(times) * 1e3:.2f} ms; CPU per sale: server "
            f"{server_cpu / len(times) * 1e3:.3f} ms, client {client / len(times) * 1e3:.3f} ms",
            file=sys.stderr,
            flush=True,
        )
        return p99(times) * 1000
    finally:
        for t in tills:
            t.sock.close()
        server.stop()


def online_commit_p99(work: Path) -> float:
    """20 tills commit at once: 50 rounds, each till sends one sale per round, all at the
    same moment, and the next round starts when every answer is in. p99 of 1,000 PUTs."""
    return _online_commit(work, barrier=True)


def online_commit_saturating_p99(work: Path) -> float:
    """Informative: 20 tills PUT 50 sales each back-to-back (no pause between sales)."""
    return _online_commit(work, barrier=False)


def _till_online(work: Path, server: ServerProcess) -> TillProcess:
    till = TillProcess(work / "till", "bench till")
    till.enroll(server.enrolment_code(till.name), server.url, server.fingerprint())
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
    Figure("online_commit_p99_ms_20_tills_saturating", 20.0, "ms", online_commit_saturating_p99),
    Figure("upload_10000_sales_s", 5.0, "s", upload_10000),
    Figure("server_killed_to_question_s", 3.0, "s", question_after_kill),
    Figure("server_hung_to_question_s", 3.0, "s", question_after_hang),
    Figure("scanner_decode_p99_ms", 2.0, "ms", scanner_decode_p99),
    Figure("scan_to_line_p99_ms", 2.0, "ms", scan_to_line_p99),
    Figure("receipt_render_p99_ms", 20.0, "ms", receipt_render_p99),
]
