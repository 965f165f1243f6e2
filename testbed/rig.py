"""The fault tests' rig: store servers and headless tills as real processes on
127.0.0.1, and a network cable between a till and its server that a test can
cut, mend, and tamper with (hold, drop or damage an answer on its way back).

The cable is a small HTTPS relay in the test process. It shows the till the
server's own certificate (with its key, from the server's data folder), so a
till enrolled through it pins the server's certificate, and it speaks TLS to
the server, checking that same certificate. Cut, the port refuses
connections and the open ones are shut, as when the server's box is unplugged;
the till notices it through its own requests and heartbeat, as it would.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx

from appliance.domain import verify_chain
from appliance.processes import ServerProcess, TillProcess, free_port
from appliance.till import cli as till_cli
from appliance.till.fsio import split_line

from .tls import TLSServer, from_files

API = "/api/v1"
CASHIER = {"cashier": "c1", "pin": "1234"}
CRASH_AT = "AUTONOME_CRASH_AT"
CRASH_AFTER = "AUTONOME_CRASH_AFTER"


# -- tills ---------------------------------------------------------------------------
class Till(TillProcess):
    """A headless till process that knows its id, and a few sale-path shortcuts."""

    till_id: int
    token: str

    def start(
        self,
        server_url: str | None = None,
        *,
        args: Sequence[str] = (),
        env: dict[str, str] | None = None,
    ) -> Till:
        self.history = []  # events of this run only
        super().start(server_url, args=args, env=env)
        return self

    def online(self, url: str) -> Till:
        self.start(url)
        self.wait_event("mode", mode="ONLINE", timeout=20)
        self.send("login", **CASHIER)
        self.wait_event("logged_in")
        return self

    def expect(self, name: str, timeout: float = 15, **fields: Any) -> dict[str, Any]:
        """The next event `name`; an error event on the way fails the test."""
        ev = self.wait_for(
            lambda e: (
                e.get("event") == "error"
                or (e.get("event") == name and all(e.get(k) == v for k, v in fields.items()))
            ),
            timeout,
            what=name,
        )
        assert ev["event"] == name, f"{self.name}: {ev}"
        return ev

    def sell(self, codes: list[str], method: str = "cash", amount: int = 100_00) -> dict:
        """Ring up `codes` and pay: the `sale_closed` event (the acknowledgement)."""
        for code in codes:
            self.send("scan", code=code)
            self.expect("line_added")
        self.send("pay", method=method, amount=amount)
        return self.expect("sale_closed")

    def go_autonomous(self, cable: Cable) -> None:
        """Unplug the till's cable; answer 'yes' to the question that follows."""
        cable.cut()
        self.wait_event("question", id="go_autonomous", timeout=10)
        self.send("answer", question="go_autonomous", answer="yes")
        self.wait_event("mode", mode="AUTONOMOUS")

    def index_of(self, name: str, **fields: Any) -> int:
        """Where in this run's events the first `name` with these fields came."""
        for i, ev in enumerate(self.history):
            if ev.get("event") == name and all(ev.get(k) == v for k, v in fields.items()):
                return i
        raise AssertionError(f"no {name} {fields} in {self.name}'s events")


def enrol(server: ServerProcess, folder: Path, name: str, url: str | None = None) -> Till:
    """A till enrolled with `server` through `url` (default: the server), which its
    till.json keeps as the server's address.

    The code comes over the admin API, and `autonome till enroll` runs in this
    process (`appliance.till.cli.main`): the product's own enrolment, so till.json
    is whatever it writes (token, signing key...), without two interpreter
    start-ups per till. tests/integration runs both commands as processes.
    """
    r = server.api("POST", f"{API}/enrolment-codes", json={"name": name})
    assert r.status_code == 201, r.text
    code = r.json()
    argv = ["enroll", "--data", str(folder), "--code", code["code"]]
    argv += ["--fingerprint", code["fingerprint"]]
    assert till_cli.main([*argv, "--server", url or server.url, "--name", name]) == 0
    conf = json.loads((folder / "till.json").read_text())
    till = Till(folder, name)
    till.till_id, till.token = int(conf["till_id"]), conf["token"]
    return till


# -- the server's view ----------------------------------------------------------------
def journal(server: ServerProcess, till_id: int) -> list[dict[str, Any]]:
    """Every sale of one till in the server's journal, in seq order."""
    sales: list[dict[str, Any]] = []
    while True:
        params = {"till_id": till_id, "after_seq": sales[-1]["seq"] if sales else 0, "limit": 5000}
        r = server.api("GET", f"{API}/journal", params=params)
        assert r.status_code == 200, r.text
        page = r.json()["sales"]
        if not page:
            return sales
        sales.extend(page)


def listed(server: ServerProcess, what: str, till_id: int) -> list[dict[str, Any]]:
    """GET /conflicts, /quarantine, /integrity or /pending, for one till."""
    r = server.api("GET", f"{API}/{what}")
    assert r.status_code == 200, r.text
    return [x for x in r.json() if x.get("till_id") == till_id]


def assert_exactly_once(
    server: ServerProcess, till_id: int, acknowledged: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The journal holds each acknowledged sale once, as acknowledged, chained, and no other."""
    sales = journal(server, till_id)
    counts = Counter(s["sale_id"] for s in sales)
    assert [sid for sid, n in counts.items() if n > 1] == [], "counted twice"
    assert set(counts) == {a["sale_id"] for a in acknowledged}, "missing or unknown sales"
    assert [s["seq"] for s in sales] == list(range(1, len(acknowledged) + 1)), "a seq gap"
    by_id = {a["sale_id"]: a for a in acknowledged}
    for s in sales:
        ack = by_id[s["sale_id"]]
        assert (s["seq"], s["hash"], s["total"]) == (ack["seq"], ack["hash"], ack["total"])
    assert verify_chain(sales) == []
    for what in ("conflicts", "quarantine", "integrity", "pending"):
        assert listed(server, what, till_id) == [], what
    return sales


def journal_events(till_data: Path) -> list[dict[str, Any]]:
    """The till's own journal (events.log), read without opening it for writing."""
    lines = (till_data / "events.log").read_bytes().splitlines(keepends=True)
    payloads = [split_line(line[:-1]) for line in lines if line.endswith(b"\n")]
    return [json.loads(p) for p in payloads if p is not None]


def snapshot_barcodes(server_data: Path) -> list[str]:
    snap = max((server_data / "snapshots").glob("snapshot-*.json"))
    doc = json.loads(snap.read_text())
    return sorted(row["code"] for row in doc["barcodes"].values())


# -- the cable ------------------------------------------------------------------------
@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Exchange:
    """One request relayed to the server: when it left (wall clock, as strace's -ttt),
    when the answer was in, and the two ends of the TCP connection it went over."""

    method: str
    path: str
    body: bytes
    sent: float
    answered: float | None = None
    local: tuple[str, int] | None = None  # the relay's end
    server: tuple[str, int] | None = None


#: (method, path, the server's answer) -> the answer the till gets, or None: no answer
Tamper = Callable[[str, str, Answer], Answer | None]

_HOP = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}
_HOP_BACK = {"content-length", "connection", "transfer-encoding", "content-encoding", "date"}


class _Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the till's client expects
    cable: Cable

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._relay()

    do_POST = do_PUT = do_DELETE = do_GET

    def _relay(self) -> None:
        c = self.cable
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size) if size else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        c.seen.append((self.command, self.path))
        answer: Answer | None
        exchange = Exchange(self.command, self.path, body, time.time())
        c.exchanges.append(exchange)
        try:
            r = c.http.request(self.command, c.upstream + self.path, content=body, headers=headers)
            exchange.answered = time.time()
            stream = r.extensions.get("network_stream")
            if stream is not None:
                exchange.local = stream.get_extra_info("client_addr")
                exchange.server = stream.get_extra_info("server_addr")
            kept = {k: v for k, v in r.headers.items() if k.lower() not in _HOP_BACK}
            answer = Answer(r.status_code, kept, r.content)
        except httpx.HTTPError:
            answer = None  # the server died under the request: no answer for the till either
        if answer is not None and c.tamper is not None:
            answer = c.tamper(self.command, self.path, answer)
        if answer is None:
            self.close_connection = True
            return
        self.send_response(answer.status)
        for k, v in answer.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)


class _Server(TLSServer):
    block_on_close = False
    cable: Cable

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        self.cable._opened(sock)
        return sock, addr

    def shutdown_request(self, request: Any) -> None:
        self.cable._closed(request)
        super().shutdown_request(request)


class Cable:
    """The till's network cable to `server`, plugged in at creation."""

    def __init__(self, server: ServerProcess) -> None:
        self.upstream = server.url.rstrip("/")
        self.cert = from_files(server.data / "tls.crt", server.data / "tls.key")
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.http = httpx.Client(timeout=60, verify=server.tls())
        self.seen: list[tuple[str, str]] = []  # (method, path) of every request relayed
        self.exchanges: list[Exchange] = []  # the same, in detail
        self.tamper: Tamper | None = None
        self._httpd: _Server | None = None
        self._socks: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.mend()

    def mend(self) -> None:
        if self._httpd is not None:
            return
        handler = type("Relay", (_Relay,), {"cable": self})
        self._httpd = _Server(("127.0.0.1", self.port), handler, self.cert.server_context())
        self._httpd.cable = self
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def cut(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        with self._lock:
            open_now = list(self._socks)
        for s in open_now:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.cut()
        self.http.close()

    def _opened(self, s: socket.socket) -> None:
        with self._lock:
            self._socks.add(s)

    def _closed(self, s: socket.socket) -> None:
        with self._lock:
            self._socks.discard(s)
