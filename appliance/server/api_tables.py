"""The endpoints of the restaurant's open tables (see server/tables.py).

`GET /tables`                  the open tables, who holds each, their totals
`GET /tables/{table_id}`       one open table, its bill
`PUT /tables/{table_id}`       its holder writes it (opened, a round, moved, paid, closed)
`POST /tables/{table_id}/take` another till takes it over (refused while it is being paid)
`POST /tables/{table_id}/paying` {"on": true|false}: its bill is on the holder's screen
`POST /tables/{table_id}/lines`  lines rung up alone by a till that held it before
`PUT /floor-plan`              (admin) the rooms, tables and modifiers of the next snapshot
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool

from appliance.domain.floorplan import TableError

from .errors import ApiError, parse_json
from .shop import Caller, admin, any_caller, shop_of, till
from .tables import TableHolds, TableRefused, set_floor_plan

__all__ = ["router"]

router = APIRouter()

TableId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]


def _holds(request: Request) -> TableHolds:
    holds = getattr(request.app.state, "table_holds", None)
    if holds is None:
        holds = request.app.state.table_holds = TableHolds(shop_of(request).store)
    return holds


async def _call(call: Any, *args: Any) -> dict[str, Any]:
    try:
        return await run_in_threadpool(call, *args)
    except TableRefused as e:
        raise ApiError(e.status, e.code, e.message, **e.extra) from None


async def _body(request: Request) -> dict[str, Any]:
    doc = parse_json(await request.body())
    if not isinstance(doc, dict):
        raise ApiError(422, "invalid", "the body is a JSON object")
    return doc


@router.get("/tables")
async def open_tables(request: Request, _: Caller = Depends(any_caller)) -> dict[str, Any]:
    rows = await run_in_threadpool(_holds(request).list)
    return {"tables": rows}


@router.get("/tables/{table_id}")
async def one_table(
    table_id: TableId, request: Request, _: Caller = Depends(any_caller)
) -> dict[str, Any]:
    return await _call(_holds(request).get, table_id)


@router.put("/tables/{table_id}")
async def put_table(
    table_id: TableId, request: Request, caller: Caller = Depends(till)
) -> dict[str, Any]:
    doc = await _body(request)
    if doc.get("table_id") != table_id:
        raise ApiError(422, "table_id_mismatch", "the URL and the table differ")
    return await _call(_holds(request).put, caller.till_id, doc)


@router.post("/tables/{table_id}/take")
async def take_table(
    table_id: TableId, request: Request, caller: Caller = Depends(till)
) -> dict[str, Any]:
    return await _call(_holds(request).take, caller.till_id, table_id)


@router.post("/tables/{table_id}/paying")
async def paying_table(
    table_id: TableId, request: Request, caller: Caller = Depends(till)
) -> dict[str, Any]:
    doc = await _body(request)
    on, opening = doc.get("on"), doc.get("opening")
    if not isinstance(on, bool) or not isinstance(opening, str | None):
        raise ApiError(422, "invalid", 'the body is {"on": true|false, "opening": "..."}')
    return await _call(_holds(request).paying, caller.till_id, table_id, on, opening)


@router.post("/tables/{table_id}/lines")
async def add_lines(
    table_id: TableId, request: Request, caller: Caller = Depends(till)
) -> dict[str, Any]:
    doc = await _body(request)
    return await _call(_holds(request).add_lines, caller.till_id, doc)


@router.put("/floor-plan")
async def floor_plan(request: Request, _: Caller = Depends(admin)) -> dict[str, Any]:
    doc = await _body(request)
    try:
        return await run_in_threadpool(set_floor_plan, shop_of(request).store, doc)
    except TableError as e:
        raise ApiError(422, e.code, e.message) from None
