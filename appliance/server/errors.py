"""Every error answered as JSON `{"error": code, "message": text}`, and the body limit."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ApiError", "BodyLimit", "install_error_handlers", "parse_json"]

log = logging.getLogger("autonome.server.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
        self.headers: dict[str, str] | None = None

    def response(self) -> JSONResponse:
        body = {"error": self.code, "message": self.message, **self.extra}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def parse_json(body: bytes) -> Any:
    """The request's JSON, or a 400 saying where it is broken."""
    if not body.strip():
        raise ApiError(400, "malformed_json", "the request body is empty; JSON was expected")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise ApiError(400, "malformed_json", f"the request body is not valid JSON: {e}") from None


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = "no such endpoint"
        return JSONResponse(
            {"error": code, "message": message},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(
                {"error": "malformed_json", "message": "the request body is not valid JSON"},
                status_code=400,
            )
        return JSONResponse({"error": "invalid", "message": _summary(errors)}, status_code=422)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse(
            {"error": "internal_error", "message": f"the server failed: {type(exc).__name__}"},
            status_code=500,
        )


class _TooLarge(Exception):
    pass


class BodyLimit:
    """413 for a body over `limit` bytes, by Content-Length and by what is streamed.

    A declared body somewhat over the limit is read and dropped before the
    answer, so the client gets the 413 instead of a broken pipe.
    """

    def __init__(self, app: ASGIApp, limit: int, drain_up_to: int | None = None) -> None:
        self.app = app
        self.limit = limit
        self.drain_up_to = drain_up_to if drain_up_to is not None else 8 * limit

    async def _refuse(self, send: Send, size: str) -> None:
        body = orjson.dumps(
            {
                "error": "too_large",
                "message": f"the request body ({size}) is over the limit of {self.limit} bytes",
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None and declared > self.limit:
            if declared <= self.drain_up_to:
                more = True
                while more:
                    msg = await receive()
                    more = msg.get("type") == "http.request" and msg.get("more_body", False)
            await self._refuse(send, f"{declared} bytes")
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            msg = await receive()
            if msg.get("type") == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return msg

        async def watching_send(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, f"over {self.limit} bytes")
