"""A small store server over real HTTPS on 127.0.0.1, for the till's tests.

It speaks the endpoints of docs/internals.md that a till uses, keeps
everything in memory, and can be killed (the port then refuses) and
restarted on the same port. Like the store server, it has a self-signed
certificate of its own (`cert`), whose fingerprint its enrolment answer
names. No tests here: the till's tests import it.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from appliance.domain import verify_record
from appliance.protocol.signing import load_private_key, new_private_key_pem, public_key_b64, sign

from .tls import TLSServer, make_certificate

HELD = ("stored", "duplicate", "conflict", "quarantined")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeStore:
    def __init__(self, snapshot: bytes, *, server_id: str = "srv-1", version: int = 1) -> None:
        self.server_id = server_id
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.cert = make_certificate(server_id)
        self.codes = {"GOOD-CODE"}
        self.tokens: dict[str, int] = {}
        doc = json.loads(snapshot)
        self.articles = {r["article_id"]: r for r in doc["articles"].values()}
        self.snapshot_version = version
        self.snapshot = snapshot
        self.corrupt_snapshot = False
        #: The key this store gives tills at enrolment; `sign_with` signs the
        #: snapshots (another key: a forgery; None: unsigned).
        self.key = load_private_key(new_private_key_pem())
        self.sign_with = self.key
        self.sales: dict[str, dict[str, Any]] = {}
        self.quarantine: list[Any] = []
        self.events: dict[str, dict[str, Any]] = {}
        self.jobs: list[dict[str, Any]] = []
        self.last_seq: dict[int, int] = {}
        self.delay = 0.0  # seconds before answering anything
        self._httpd: TLSServer | None = None
        self.lock = threading.Lock()

    # -- life --------------------------------------------------------------------
    def start(self) -> FakeStore:
        store = self

        class Handler(_Handler):
            fake = store

        self._httpd = TLSServer(("127.0.0.1", self.port), Handler, self.cert.server_context())
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def kill(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def publish_snapshot(self, snapshot: bytes, version: int) -> None:
        self.snapshot, self.snapshot_version = snapshot, version

    def seqs(self, till_id: int) -> list[int]:
        return sorted(r["seq"] for r in self.sales.values() if r["till_id"] == till_id)

    # -- the store -----------------------------------------------------------------
    def judge(self, record: Any) -> str:
        if not isinstance(record, dict) or "raw" in record:
            self.quarantine.append(record)
            return "quarantined"
        if not verify_record(record):
            self.quarantine.append(record)
            return "quarantined"
        old = self.sales.get(record["sale_id"])
        if old is None:
            self.sales[record["sale_id"]] = record
            return "stored"
        return "duplicate" if old["hash"] == record["hash"] else "conflict"

    def contiguous(self, till_id: int) -> int:
        seqs = set(self.seqs(till_id))
        n = 0
        while n + 1 in seqs:
            n += 1
        return n

    def signature(self) -> str | None:
        return None if self.sign_with is None else sign(self.sign_with, self.snapshot)

    def snapshot_meta(self) -> dict[str, Any]:
        return {
            "version": self.snapshot_version,
            "sha256": hashlib.sha256(self.snapshot).hexdigest(),
            "size": len(self.snapshot),
            "built_at": "2026-11-27T23:30:00+00:00",
            "signature": self.signature(),
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStore

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"null")

    def _till(self) -> int | None:
        auth = self.headers.get("Authorization", "")
        return self.fake.tokens.get(auth.removeprefix("Bearer "))

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def _route(self, method: str) -> None:
        f = self.fake
        if f.delay:
            time.sleep(f.delay)
        path = self.path.split("?")[0].removeprefix("/api/v1")
        parts = [unquote(p) for p in path.strip("/").split("/")]
        till = self._till()
        with f.lock:
            if method == "GET" and parts == ["health"]:
                if till and "X-Till-Last-Seq" in self.headers:
                    f.last_seq[till] = int(self.headers["X-Till-Last-Seq"])
                return self._send(
                    200,
                    {
                        "status": "ok",
                        "server_id": f.server_id,
                        "api": "v1",
                        "time": "now",
                        "snapshot": f.snapshot_meta(),
                    },
                )
            if method == "POST" and parts == ["enroll"]:
                body = self._body()
                if body.get("code") not in f.codes:
                    return self._send(403, {"error": "bad_enrolment_code", "message": "bad code"})
                f.codes.discard(body["code"])
                token = uuid.uuid4().hex
                f.tokens[token] = len(f.tokens) + 1
                return self._send(
                    200,
                    {
                        "till_id": f.tokens[token],
                        "token": token,
                        "server_id": f.server_id,
                        "signing_key": public_key_b64(f.key),
                        "tls_fingerprint": f.cert.fingerprint,
                    },
                )
            if till is None:
                return self._send(401, {"error": "unauthorized", "message": "who are you?"})
            return self._till_routes(method, parts, till)

    def _till_routes(self, method: str, parts: list[str], till: int) -> None:
        f = self.fake
        if method == "GET" and len(parts) == 2 and parts[0] == "barcodes":
            for a in f.articles.values():
                if parts[1] in a["barcodes"]:
                    return self._send(200, a)
            return self._send(404, {"error": "unknown_barcode", "message": f"no {parts[1]}"})
        if method == "GET" and len(parts) == 2 and parts[0] == "articles":
            if parts[1] in f.articles:
                return self._send(200, f.articles[parts[1]])
            return self._send(404, {"error": "unknown_article", "message": parts[1]})
        if method == "POST" and parts == ["articles"]:
            body = self._body()
            aid = body.get("article_id") or f"N{len(f.articles) + 1}"
            if aid in f.articles:
                return self._send(409, {"error": "article_exists", "message": aid})
            f.articles[aid] = {**body, "article_id": aid, "barcodes": body.get("barcodes", [])}
            return self._send(201, f.articles[aid])
        if method == "PUT" and len(parts) == 2 and parts[0] == "sales":
            status = f.judge(self._body())
            code = {"stored": 201, "duplicate": 200, "conflict": 409, "quarantined": 422}[status]
            return self._send(code, {"status": status})
        if method == "POST" and len(parts) == 3 and parts[0] == "tills" and parts[2] == "outbox":
            if int(parts[1]) != till:
                return self._send(403, {"error": "other_till", "message": "not yours"})
            records = self._body()["records"]
            results = []
            for i, r in enumerate(records):
                status = f.judge(r)
                seq = r.get("seq") if isinstance(r, dict) else None
                results.append({"index": i, "sale_id": None, "seq": seq, "status": status})
            return self._send(200, {"results": results, "contiguous_seq": f.contiguous(till)})
        if method == "POST" and len(parts) == 3 and parts[2] == "events":
            for ev in self._body()["events"]:
                f.events[ev["event_id"]] = ev
            return self._send(200, {"stored": len(f.events)})
        if method == "GET" and parts == ["snapshot"]:
            return self._send(200, f.snapshot_meta())
        if method == "GET" and len(parts) == 2 and parts[0] == "snapshot":
            data = f.snapshot
            if f.corrupt_snapshot:
                data = data.replace(b"Baguette", b"Baguettf")
            headers = {"X-Snapshot-Sha256": hashlib.sha256(f.snapshot).hexdigest()}
            signature = f.signature()
            if signature is not None:
                headers["X-Snapshot-Signature"] = signature
            return self._send(200, data, headers)
        if method == "POST" and parts == ["print-jobs"]:
            f.jobs.append(self._body())
            return self._send(202, {"status": "queued"})
        return self._send(404, {"error": "no_route", "message": self.path})
