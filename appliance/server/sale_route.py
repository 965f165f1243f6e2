"""PUT /api/v1/sales/{sale_id}, the online sale, served before the framework.

The busiest request of a shop: every till sends each sale as it closes. It
is answered here, in front of FastAPI, without its routing, dependency
solving and response classes: the bearer token is checked (the same
`Shop.till_caller` as the `till` dependency: a revoked till gets 401 from
its next request on), the body read, the sale handed to the group committer
(`committer.py`) and answered once committed. The answers are those of
`api_tills.put_sale`, which documents the endpoint in the OpenAPI schema.
The body limit (`errors.BodyLimit`) sits in front of this route.
"""

from __future__ import annotations

import logging

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from appliance.protocol import API_PREFIX

from .api_tills import sale_answer
from .errors import ApiError
from .shop import Shop

__all__ = ["SalePut"]

log = logging.getLogger("autonome.server.api")

_PREFIX = f"{API_PREFIX}/sales/"
_JSON = (b"content-type", b"application/json")


class SalePut:
    """ASGI middleware: takes PUT /api/v1/sales/{sale_id}, passes everything else on."""

    def __init__(self, app: ASGIApp, shop: Shop) -> None:
        self.app = app
        self.shop = shop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "PUT":
            path: str = scope["path"]
            if path.startswith(_PREFIX):
                sale_id = path[len(_PREFIX) :]
                if sale_id and "/" not in sale_id:
                    await self._put(sale_id, scope, receive, send)
                    return
        await self.app(scope, receive, send)

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
