"""`GET /api/v1/deltas`: the catalogue's changes since a till's last one, long-polled.

Long-poll rather than server-sent events or a websocket: the till already holds
one kept-alive, certificate-pinned HTTPS connection to the server (httpx), and a
request that waits up to `wait` seconds fits it without a second protocol or a
streaming parser. A waiting request looks at the newest delta number every
`POLL_S` (one indexed read), so a change made by another process (the
`autonome server import-csv` command) is seen as soon as one made here.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from appliance.protocol.deltas import TILL_VERSION_HEADER

from .deltas import DeltaSigner, pending_feed
from .errors import ApiError
from .shop import Caller, any_caller, shop_of
from .storage import MAX_INT

__all__ = ["POLL_S", "router"]

router = APIRouter()

#: how often a waiting request looks for a new delta (seconds)
POLL_S = 0.1


def _signer(request: Request) -> DeltaSigner:
    signer = getattr(request.app.state, "delta_signer", None)
    if signer is None:
        signer = DeltaSigner(shop_of(request).data.signing_key())
        request.app.state.delta_signer = signer
    return signer


def _wait_cap() -> float:
    """The most a long-poll waits: AUTONOME_LONG_POLL_MAX_S (for a proxy that cuts
    idle requests sooner, or a fuzz run), 30 s by default."""
    try:
        return max(0.0, float(os.environ.get("AUTONOME_LONG_POLL_MAX_S", "30")))
    except ValueError:
        return 30.0


def _note_poll(request: Request, caller: Caller, after: int) -> None:
    """What the back office shows of a till's last poll: when, its delta, its version."""
    if caller.kind != "till" or caller.till_id is None:
        return
    polls = getattr(request.app.state, "till_polls", None)
    if polls is None:
        polls = request.app.state.till_polls = {}
    version = request.headers.get(TILL_VERSION_HEADER, "")[:40]
    polls[caller.till_id] = {"at": time.time(), "after": after, "version": version}


@router.get("/deltas")
async def delta_feed(
    request: Request,
    caller: Caller = Depends(any_caller),
    after: int = Query(ge=0, le=MAX_INT),
    wait: float = Query(0, ge=0, le=30),
    limit: int = Query(200, ge=1, le=1000),
) -> JSONResponse:
    """The deltas after `after`, each its canonical `body` and Ed25519 `signature`.

    With `wait`, an answer with no delta comes only after that many seconds
    (or as soon as one is made). 410 `take_snapshot`: this till is further
    behind than the deltas kept, or ahead of this server (restored from a
    backup): it takes the current snapshot instead."""
    store = shop_of(request).store
    _note_poll(request, caller, after)
    deadline = time.monotonic() + min(wait, _wait_cap())
    while True:
        feed = pending_feed(store, after, limit)
        if feed["state"] != "ok":
            raise ApiError(
                410,
                "take_snapshot",
                f"delta {after} cannot be caught up from here (kept: {feed['floor']} to "
                f"{feed['latest']}): take the current snapshot",
                latest=feed["latest"],
            )
        if feed["rows"] or time.monotonic() >= deadline:
            break
        await asyncio.sleep(POLL_S)
    signer = _signer(request)
    body: dict[str, Any] = {
        "latest": feed["latest"],
        "deltas": [signer.wire(seq, text) for seq, text in feed["rows"]],
    }
    return JSONResponse(body)
