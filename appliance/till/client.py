"""The till's HTTPS client to the store server: short timeouts, typed errors.

Every connection is TLS with the context it is given: the till's pinned context
(`TillConfig.tls_context`), or the enrolment's. A TLS failure other than a cut
connection is an `IdentityMismatch`: whoever answers at that address is not
the server this till was enrolled with. It is a `ServerUnreachable` (the till
goes the "server lost" way), no request has been sent (the TLS handshake comes
first), and it is logged, at most once a minute per address.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from appliance.protocol import (
    API_PREFIX,
    SNAPSHOT_SHA_HEADER,
    SNAPSHOT_SIGNATURE_HEADER,
    TILL_LAST_SEQ_HEADER,
    TILL_TIME_HEADER,
)
from appliance.protocol.models import Article, BatchResult, Health, SnapshotMeta
from appliance.protocol.tls import PinMismatch, fingerprint, https_url

__all__ = [
    "IdentityMismatch",
    "NotFound",
    "Rejected",
    "ServerClient",
    "ServerError",
    "ServerUnreachable",
]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

#: TLS errors that are a cut connection, not somebody else's certificate.
_CUT = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError, ssl.SSLWantReadError)
MISMATCH_LOG_EVERY_S = 60.0
_mismatch_logged: dict[str, float] = {}
_mismatch_lock = threading.Lock()


class ServerError(Exception):
    """Base of what the server client raises."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class ServerUnreachable(ServerError):
    """Connection refused or cut, timeout, or a 5xx: the server is not there for us."""


class Rejected(ServerError):
    """A 4xx: the server is there and said no (`code` is its error code)."""


class NotFound(Rejected):
    """A 404."""


class IdentityMismatch(ServerUnreachable):
    """The TLS handshake failed: the server there is not the one this till pinned."""

    def __init__(self, url: str, reason: str, presented: str | None = None) -> None:
        seen = f"it showed the certificate sha256 {presented}" if presented else reason
        super().__init__(
            "identity_mismatch",
            f"the server at {url} is not the server this till was enrolled with "
            f"(TLS: {seen}); nothing was sent to it",
        )
        self.url = url
        self.presented = presented


def tls_failure(error: BaseException) -> ssl.SSLError | None:
    """The TLS error behind an httpx error, unless it is only a cut connection."""
    seen: set[int] = set()
    e: BaseException | None = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, ssl.SSLError):
            return None if isinstance(e, _CUT) else e
        e = e.__cause__ or e.__context__
    return None


def presented_fingerprint(url: str, timeout: float) -> str | None:
    """The fingerprint of the certificate shown at `url`, read without trusting it
    (for the log of a mismatch only: nothing is sent)."""
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    try:
        pem = ssl.get_server_certificate((parts.hostname, parts.port or 443), timeout=timeout)
    except (OSError, ValueError):
        return None
    return fingerprint(ssl.PEM_cert_to_DER_cert(pem))


def _mismatch(url: str, error: ssl.SSLError, timeout: float) -> IdentityMismatch:
    presented = error.presented if isinstance(error, PinMismatch) else None
    now = time.monotonic()
    with _mismatch_lock:
        due = now - _mismatch_logged.get(url, -MISMATCH_LOG_EVERY_S) >= MISMATCH_LOG_EVERY_S
        if due:
            _mismatch_logged[url] = now
    if due and presented is None:
        presented = presented_fingerprint(url, timeout)
    reason = getattr(error, "verify_message", None) or error.reason or type(error).__name__
    found = IdentityMismatch(url, str(reason), presented)
    if due:
        log.warning("identity mismatch: %s", found.message)
    return found


def _peer_certificate(resp: httpx.Response) -> bytes | None:
    stream = resp.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if not isinstance(sock, ssl.SSLSocket):
        return None
    kept = getattr(sock, "peer_der", None)  # protocol.tls's sockets keep it past close
    return kept if kept is not None else sock.getpeercert(binary_form=True)


def _error(resp: httpx.Response) -> ServerError:
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("error") or body.get("status") or f"http_{resp.status_code}")
    message = str(body.get("message") or body.get("detail") or resp.reason_phrase)
    if resp.status_code >= 500:
        return ServerUnreachable(code, f"server error {resp.status_code}: {message}", 503)
    if resp.status_code == 404:
        return NotFound(code, message, 404)
    return Rejected(code, message, resp.status_code)


class ServerClient:
    """One keep-alive HTTPS connection to the server (httpx), over `tls`: the till's
    pinned context, or the enrolment's. The address is made https:// if it is not."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        tls: ssl.SSLContext,
        timeout: float = 1.0,
        long_timeout: float = 10.0,
    ) -> None:
        self.base_url = https_url(base_url)
        self.timeout = httpx.Timeout(timeout)
        self.long_timeout = httpx.Timeout(timeout, read=long_timeout, write=long_timeout)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.base_url + API_PREFIX, headers=headers, timeout=timeout, verify=tls
        )

    def __repr__(self) -> str:
        return f"ServerClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def _send(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201, 202), **kw: Any
    ) -> httpx.Response:
        try:
            resp = self._http.request(method, path, **kw)
        except httpx.TimeoutException as e:
            raise ServerUnreachable("timeout", f"no answer from {self.base_url}: {e!r}") from e
        except (httpx.HTTPError, RuntimeError) as e:  # RuntimeError: closed under us
            bad_tls = tls_failure(e)
            if bad_tls is not None:
                raise _mismatch(self.base_url, bad_tls, self.timeout.connect or 1.0) from e
            raise ServerUnreachable("unreachable", f"{self.base_url} unreachable: {e!r}") from e
        if resp.status_code in ok:
            return resp
        raise _error(resp)

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        resp = self._send(method, path, **kw)
        try:
            return resp.json()
        except ValueError as e:
            raise ServerUnreachable("bad_answer", f"unreadable answer to {path}") from e

    # -- endpoints ---------------------------------------------------------------
    def health(self, last_seq: int | None = None, till_time: datetime | None = None) -> Health:
        headers = {} if last_seq is None else {TILL_LAST_SEQ_HEADER: str(last_seq)}
        if till_time is not None:  # the server compares it with its own clock
            headers[TILL_TIME_HEADER] = till_time.isoformat()
        return wire(Health, self._json("GET", "/health", headers=headers), "/health")

    def enroll(self, code: str, name: str) -> tuple[dict[str, Any], bytes | None]:
        """The enrolment's answer, and the certificate (DER) shown on the very
        connection that carried it."""
        resp = self._send("POST", "/enroll", json={"code": code, "name": name})
        try:
            answer = resp.json()
        except ValueError as e:
            raise ServerUnreachable("bad_answer", "unreadable answer to /enroll") from e
        if not isinstance(answer, dict):
            raise ServerUnreachable("bad_answer", "unexpected answer to /enroll")
        return answer, _peer_certificate(resp)

    def barcode(self, code: str) -> Article:
        return article_of(self._json("GET", f"/barcodes/{quote(code, safe='')}"), code)

    def article(self, article_id: str) -> Article:
        return article_of(self._json("GET", f"/articles/{quote(article_id, safe='')}"), article_id)

    def create_article(self, article: dict[str, Any]) -> dict[str, Any]:
        return self._json("POST", "/articles", json=article)

    def put_sale(self, record: dict[str, Any]) -> str:
        """Commit one sale; its status: stored, duplicate, conflict or quarantined."""
        resp = self._send(
            "PUT", f"/sales/{record['sale_id']}", json=record, ok=(200, 201, 409, 422)
        )
        try:
            status = resp.json().get("status")
        except (ValueError, AttributeError):
            status = None
        if status not in ("stored", "duplicate", "conflict", "quarantined"):
            raise (
                _error(resp)
                if resp.status_code >= 400
                else ServerUnreachable(
                    "bad_answer", f"unexpected answer to PUT /sales: {resp.text[:200]}"
                )
            )
        return status

    def upload(self, till_id: int, records: list[dict[str, Any]]) -> BatchResult:
        path = f"/tills/{till_id}/outbox"
        answer = self._json("POST", path, json={"records": records}, timeout=self.long_timeout)
        return wire(BatchResult, answer, path)

    def post_events(self, till_id: int, events: list[dict[str, Any]]) -> dict[str, Any]:
        return self._json("POST", f"/tills/{till_id}/events", json={"events": events})

    def snapshot_meta(self) -> SnapshotMeta:
        return wire(SnapshotMeta, self._json("GET", "/snapshot"), "/snapshot")

    def snapshot(self, version: int) -> tuple[bytes, str | None, str | None]:
        """The snapshot's bytes, and the sha256 and signature in the answer's headers."""
        resp = self._send("GET", f"/snapshot/{version}", timeout=self.long_timeout)
        return (
            resp.content,
            resp.headers.get(SNAPSHOT_SHA_HEADER),
            resp.headers.get(SNAPSHOT_SIGNATURE_HEADER),
        )

    def print_job(self, job: dict[str, Any]) -> dict[str, Any]:
        resp = self._send("POST", "/print-jobs", json=job)
        try:
            return resp.json()
        except ValueError:
            return {}

    def reprint_job(self, job_id: str) -> dict[str, Any]:
        """A copy of a print job's tickets, marked COPIE on the paper."""
        answer = self._json("POST", f"/print-jobs/{job_id}/reprint", json={})
        return answer if isinstance(answer, dict) else {}

    def ticket(self, *, sale_id: str | None = None, till_id: int = 0, seq: int = 0):
        """The sale a receipt names and the refunds made of it: {"sale", "refunds"}."""
        path = f"/tickets/{quote(sale_id, safe='')}" if sale_id else f"/tickets/{till_id}/{seq}"
        answer = self._json("GET", path)
        return answer if isinstance(answer, dict) else {}

    def tables(self, method: str, path: str = "", body: Any = None) -> dict[str, Any]:
        """The restaurant's open tables (server/api_tables.py): `path` below /tables."""
        kw = {} if body is None else {"json": body}
        answer = self._json(method, f"/tables{path}", **kw)
        return answer if isinstance(answer, dict) else {}

    def print_job_status(self, job_id: str) -> dict[str, Any]:
        """The job's state per printer and what to tell the cashier (`message`)."""
        answer = self._json("GET", f"/print-jobs/{job_id}")
        return answer if isinstance(answer, dict) else {}


def wire(model: type[M], answer: Any, path: str) -> M:
    """The server's answer read as its wire model; one of another shape is a server
    that does not speak our protocol: unreachable for us."""
    try:
        return model.model_validate(answer)
    except ValidationError as e:
        raise ServerUnreachable("bad_answer", f"unexpected answer to {path}: {e}") from None


def article_of(answer: Any, key: str) -> Article:
    """An article the server sent; one that cannot be sold is refused, not a lost server."""
    try:
        return Article.model_validate(answer)
    except ValidationError as e:
        raise Rejected("bad_article", f"article {key} cannot be sold: {e!r}") from None
