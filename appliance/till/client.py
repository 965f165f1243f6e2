"""The till's HTTP client to the store server: short timeouts, typed errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from appliance.protocol import (
    API_PREFIX,
    SNAPSHOT_SHA_HEADER,
    SNAPSHOT_SIGNATURE_HEADER,
    TILL_LAST_SEQ_HEADER,
)

__all__ = ["NotFound", "Rejected", "ServerClient", "ServerError", "ServerUnreachable"]


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
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 1.0,
        long_timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(timeout)
        self.long_timeout = httpx.Timeout(timeout, read=long_timeout, write=long_timeout)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.base_url + API_PREFIX, headers=headers, timeout=timeout
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
    def health(self, last_seq: int | None = None) -> dict[str, Any]:
        headers = {} if last_seq is None else {TILL_LAST_SEQ_HEADER: str(last_seq)}
        return self._json("GET", "/health", headers=headers)

    def enroll(self, code: str, name: str) -> dict[str, Any]:
        return self._json("POST", "/enroll", json={"code": code, "name": name})

    def barcode(self, code: str) -> dict[str, Any]:
        return self._json("GET", f"/barcodes/{quote(code, safe='')}")

    def article(self, article_id: str) -> dict[str, Any]:
        return self._json("GET", f"/articles/{quote(article_id, safe='')}")

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

    def upload(self, till_id: int, records: list[dict[str, Any]]) -> dict[str, Any]:
        return self._json(
            "POST", f"/tills/{till_id}/outbox", json={"records": records}, timeout=self.long_timeout
        )

    def post_events(self, till_id: int, events: list[dict[str, Any]]) -> dict[str, Any]:
        return self._json("POST", f"/tills/{till_id}/events", json={"events": events})

    def snapshot_meta(self) -> dict[str, Any]:
        return self._json("GET", "/snapshot")

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
