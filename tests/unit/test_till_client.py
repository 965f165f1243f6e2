"""The till's server client: typed errors over real HTTPS on 127.0.0.1, and the pin."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from appliance.protocol.tls import enrolment_context, fingerprint
from appliance.till import client as client_module
from appliance.till.client import (
    IdentityMismatch,
    NotFound,
    Rejected,
    ServerClient,
    ServerUnreachable,
)
from appliance.till.discovery import probe
from testbed.tls import TLSServer, make_certificate

CERT = make_certificate("srv-1")
PIN = CERT.client_context()  # what the till enrolled with CERT holds

ANSWERS = {
    "/api/v1/enroll": (200, {"till_id": 3, "token": "tok-3", "server_id": "srv-1"}),
    "/api/v1/health": (
        200,
        {
            "status": "ok",
            "server_id": "srv-1",
            "api": "v1",
            "time": "2026-11-28T10:00:00+00:00",
            "snapshot": {"version": 4, "sha256": "0" * 64, "size": 10, "built_at": "2026-11-27"},
        },
    ),  # fmt: skip
    "/api/v1/barcodes/404": (404, {"error": "unknown_barcode", "message": "no such barcode"}),
    "/api/v1/articles": (409, {"error": "article_exists", "message": "A001 is taken"}),
    "/api/v1/barcodes/500": (500, {"error": "boom", "message": "database locked"}),
    "/api/v1/barcodes/401": (401, {"error": "unauthorized", "message": "unknown token"}),
    "/api/v1/barcodes/a%2Fb": (
        200,
        {"article_id": "slash", "name": "Slash", "price": 100, "vat_bp": 2000, "category": "x"},
    ),
    "/api/v1/sales/dup": (200, {"status": "duplicate"}),
    "/api/v1/sales/conflict": (409, {"status": "conflict"}),
    "/api/v1/sales/bad": (422, {"status": "quarantined"}),
}


class Handler(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def log_message(self, *a):
        pass

    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        Handler.seen.append(dict(self.headers) | {"path": self.path})
        if self.path.endswith("/slow"):
            time.sleep(2)
        status, body = ANSWERS.get(self.path, (404, {"error": "no_route", "message": "?"}))
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except BrokenPipeError:
            pass  # the client gave up (the timeout test)

    do_GET = do_PUT = do_POST = _answer


def _serve(httpd: ThreadingHTTPServer):
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture(scope="module")
def url():
    httpd = _serve(TLSServer(("127.0.0.1", 0), Handler, CERT.server_context()))
    yield f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def impostor():
    """Another server with the same answers, and a certificate of its own."""
    httpd = _serve(TLSServer(("127.0.0.1", 0), Handler, make_certificate("srv-1").server_context()))
    yield f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def plain():
    """A server speaking plain HTTP."""
    httpd = _serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_health_sends_token_and_last_seq(url):
    c = ServerClient(url, "tok-123", tls=PIN)
    assert c.health(last_seq=41).server_id == "srv-1"
    h = Handler.seen[-1]
    assert h["Authorization"] == "Bearer tok-123" and h["X-Till-Last-Seq"] == "41"
    assert "tok-123" not in repr(c)


def test_typed_errors(url):
    c = ServerClient(url, "t", tls=PIN)
    with pytest.raises(NotFound) as e:
        c.barcode("404")
    assert e.value.code == "unknown_barcode" and e.value.status == 404
    with pytest.raises(Rejected) as e:
        c.create_article({"name": "x"})
    assert e.value.code == "article_exists" and "taken" in e.value.message
    with pytest.raises(Rejected) as e:
        c.barcode("401")
    assert e.value.status == 401 and not isinstance(e.value, NotFound)
    with pytest.raises(ServerUnreachable):
        c.barcode("500")  # a 5xx: the server is not there for us
    assert c.barcode("a/b").article_id == "slash"  # codes are quoted into the path


def test_sale_statuses_are_answers_not_errors(url):
    c = ServerClient(url, "t", tls=PIN)
    assert c.put_sale({"sale_id": "dup"}) == "duplicate"
    assert c.put_sale({"sale_id": "conflict"}) == "conflict"
    assert c.put_sale({"sale_id": "bad"}) == "quarantined"
    with pytest.raises(NotFound):
        c.put_sale({"sale_id": "nowhere"})


def test_refused_and_timeout_are_unreachable_within_the_timeout(url):
    c = ServerClient(f"https://127.0.0.1:{closed_port()}", "t", tls=PIN, timeout=1.0)
    t0 = time.monotonic()
    with pytest.raises(ServerUnreachable):
        c.health()
    assert time.monotonic() - t0 < 0.5
    c = ServerClient(url, "t", tls=PIN, timeout=0.5)
    t0 = time.monotonic()
    with pytest.raises(ServerUnreachable) as e:
        c.barcode("slow")
    assert e.value.code == "timeout" and time.monotonic() - t0 < 1.5


def test_probe_follows_only_the_enrolled_server(url):
    seen = probe(url, "srv-1", "t", tls=PIN)
    assert seen is not None and seen.url == url and seen.snapshot_version == 4
    assert probe(url, "srv-OTHER", "t", tls=PIN) is None
    assert probe(f"https://127.0.0.1:{closed_port()}", "srv-1", tls=PIN) is None


def test_another_certificate_is_an_identity_mismatch_and_gets_nothing(impostor, caplog):
    client_module._mismatch_logged.clear()
    before = len(Handler.seen)
    c = ServerClient(impostor, "secret-token", tls=PIN)
    with caplog.at_level(logging.WARNING, logger="appliance.till.client"):
        with pytest.raises(IdentityMismatch) as e:
            c.put_sale({"sale_id": "dup"})
        with pytest.raises(IdentityMismatch):
            c.health()
    assert isinstance(e.value, ServerUnreachable)  # the till's "server lost" path
    assert e.value.code == "identity_mismatch"
    assert len(Handler.seen) == before  # not one request: the handshake came first
    warnings = [r.getMessage() for r in caplog.records if "identity mismatch" in r.getMessage()]
    assert len(warnings) == 1, warnings  # once a minute per address, not per request
    assert impostor in warnings[0] and "secret-token" not in warnings[0]
    assert e.value.presented and e.value.presented != CERT.fingerprint
    assert e.value.presented in warnings[0]
    assert probe(impostor, "srv-1", "secret-token", tls=PIN) is None
    assert len(Handler.seen) == before


def test_a_plain_http_server_is_an_identity_mismatch(plain):
    c = ServerClient(plain, "secret-token", tls=PIN)
    assert c.base_url.startswith("https://")
    with pytest.raises(IdentityMismatch):
        c.health()


def test_enrolment_reads_the_certificate_of_its_own_connection(url, impostor):
    answer, der = ServerClient(url, tls=enrolment_context()).enroll("K7QM-2XRD", "till")
    assert answer["till_id"] == 3
    assert der is not None and fingerprint(der) == CERT.fingerprint
    # with the fingerprint the integrator gave, another certificate fails the handshake
    other = ServerClient(impostor, tls=enrolment_context(CERT.fingerprint))
    before = len(Handler.seen)
    with pytest.raises(IdentityMismatch):
        other.health()
    assert len(Handler.seen) == before
