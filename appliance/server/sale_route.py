"""PUT /api/v1/sales/{sale_id}, the online sale, answered before the framework.

The busiest request of a shop: every till sends each sale as it closes. The
app (`app.StoreApp`) hands it here before FastAPI's middleware, routing,
dependency solving and response classes: the bearer token is checked (the
same `Shop.till_caller` as the `till` dependency: a revoked till gets its
401 from its next request on), the body read, the sale handed to the group
committer (`committer.py`) and answered once it is committed. The answers
are those of `api_tills.put_sale`, the route that documents the endpoint.

Only a request with a Content-Length within the body limit is taken here;
any other (streamed, or too large) goes the framework's way, through
`errors.BodyLimit` (413) to `api_tills.put_sale`.
"""

from __future__ import annotations

import logging

import orjson
from starlette.types import Receive, Scope, Send

from appliance.protocol import API_PREFIX, MAX_BODY

from .api_tills import sale_answer
from .errors import ApiError
from .shop import Shop

__all__ = ["SalePut"]

log = logging.getLogger("autonome.server.api")

_PREFIX = f"{API_PREFIX}/sales/"
_JSON = (b"content-type", b"application/json")


class SalePut:
    """The online sale as a bare ASGI handler."""

    def __init__(self, shop: Shop, limit: int = MAX_BODY) -> None:
        self.shop = shop
        self.limit = limit

    def takes(self, scope: Scope) -> bool:
        """Whether this request is a PUT of a sale this handler answers."""
        if scope["type"] != "http" or scope["method"] != "PUT":
            return False
        path: str = scope["path"]
        if not path.startswith(_PREFIX) or "/" in path[len(_PREFIX) :] or path == _PREFIX:
            return False
        for name, value in scope["headers"]:
            if name == b"content-length":
                return value.isdigit() and int(value) <= self.limit
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._put(scope["path"][len(_PREFIX) :], scope, receive, send)
        except Exception as e:  # the JSON 500 the app's handler would give
            log.exception("PUT %s failed", scope["path"])
            body = {"error": "internal_error", "message": f"the server failed: {type(e).__name__}"}
            await _send(send, 500, body)

    async def _put(self, sale_id: str, scope: Scope, receive: Receive, send: Send) -> None:
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
                break
        try:
            caller = self.shop.till_caller(authorization)
        except ApiError as e:
            body = {"error": e.code, "message": e.message, **e.extra}
            await _send(send, e.status, body, e.headers)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # nothing taken in: the till sends it again
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        assert caller.till_id is not None
        out = await self.shop.committer.put(caller.till_id, b"".join(chunks), sale_id)
        await _send(send, out.http_status, sale_answer(out))


async def _send(send: Send, status: int, body: dict, headers: dict[str, str] | None = None):
    raw = orjson.dumps(body)
    head = [_JSON, (b"content-length", str(len(raw)).encode())]
    for k, v in (headers or {}).items():
        head.append((k.lower().encode("latin-1"), v.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": raw})
