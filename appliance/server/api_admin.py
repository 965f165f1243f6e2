"""The back-office endpoints: journal, pending sales, reports, what was kept aside, tills,
the till rules (`GET`/`PUT /till-rules`: what needs a manager's PIN)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from appliance.domain.approval import RulesError

from .enrolment import create_code, list_tills, revoke
from .errors import ApiError, parse_json
from .gaps import pending
from .journal import conflict_list, integrity_list, journal_page, quarantine_list
from .print_status import printers_view
from .printing import job_list
from .reports import ReportError, close_day, x_report
from .shop import Caller, admin, any_caller, shop_of
from .storage import MAX_INT
from .till_rules import get_till_rules, set_till_rules

__all__ = ["router"]

router = APIRouter()


def _object(body: bytes, shape: str) -> dict[str, Any]:
    """An optional JSON object body: {} when there is none, 422 when it is not an object."""
    doc = parse_json(body) if body else {}
    if not isinstance(doc, dict):
        raise ApiError(422, "invalid", f"the body is not a JSON object: {shape}")
    return doc


@router.get("/journal")
def journal(
    request: Request,
    caller: Caller = Depends(any_caller),
    till_id: int | None = Query(None, ge=1, le=MAX_INT),
    after_seq: int = Query(0, ge=0, le=MAX_INT),
    limit: int = Query(500, ge=1, le=5000),
) -> dict[str, Any]:
    if caller.kind == "till":
        if till_id not in (None, caller.till_id):
            raise ApiError(403, "wrong_till", "a till reads only its own journal")
        till_id = caller.till_id
    page = journal_page(shop_of(request).store, till_id=till_id, after_seq=after_seq, limit=limit)
    return {"sales": page, "count": len(page)}


@router.get("/pending")
def pending_sales(request: Request, _: Caller = Depends(admin)) -> list[dict[str, Any]]:
    return pending(shop_of(request).store)


@router.get("/reports/x")
def report_x(
    request: Request, _: Caller = Depends(admin), day: str | None = Query(None)
) -> dict[str, Any]:
    try:
        return x_report(shop_of(request).store, day)
    except ReportError as e:
        raise ApiError(422, "bad_day", str(e)) from None


@router.post("/reports/z")
async def report_z(request: Request, _: Caller = Depends(admin)) -> JSONResponse:
    doc = _object(await request.body(), 'give the day as {"day": "YYYY-MM-DD"}, or nothing')
    day = doc.get("day")
    if day is not None and not isinstance(day, str):
        raise ApiError(422, "bad_day", 'give the day as {"day": "YYYY-MM-DD"}')
    try:
        report, made = await run_in_threadpool(close_day, shop_of(request).store, day)
    except ReportError as e:
        raise ApiError(422, "bad_day", str(e)) from None
    return JSONResponse(report, status_code=201 if made else 200)


@router.get("/conflicts")
def conflicts(request: Request, _: Caller = Depends(admin)) -> list[dict[str, Any]]:
    return conflict_list(shop_of(request).store)


@router.get("/quarantine")
def quarantined(request: Request, _: Caller = Depends(admin)) -> list[dict[str, Any]]:
    return quarantine_list(shop_of(request).store)


@router.get("/integrity")
def integrity(request: Request, _: Caller = Depends(admin)) -> list[dict[str, Any]]:
    return integrity_list(shop_of(request).store)


@router.get("/tills")
def tills(request: Request, _: Caller = Depends(admin)) -> list[dict[str, Any]]:
    return list_tills(shop_of(request).store)


@router.post("/enrolment-codes", status_code=201)
async def new_code(request: Request, _: Caller = Depends(admin)) -> dict[str, Any]:
    doc = _object(await request.body(), 'give the name as {"name": "..."}, or nothing')
    name = doc.get("name", "")
    if not isinstance(name, str) or len(name) > 64:
        raise ApiError(422, "invalid", "name: a text of at most 64 characters")
    code = await run_in_threadpool(create_code, shop_of(request).store, name)
    shop = shop_of(request)
    return {"code": code, "name": name, "valid_hours": 24, "fingerprint": shop.tls_fingerprint}


@router.post("/tills/{till_id}/revoke")
def revoke_till(
    request: Request, till_id: int = Path(ge=1, le=MAX_INT), _: Caller = Depends(admin)
) -> dict[str, Any]:
    if not revoke(shop_of(request).store, till_id):
        raise ApiError(404, "unknown_till", f"there is no till {till_id}")
    return {"till_id": till_id, "revoked": True}


@router.get("/till-rules")
def till_rules(request: Request, _: Caller = Depends(admin)) -> dict[str, Any]:
    return get_till_rules(shop_of(request).store)


@router.put("/till-rules")
async def put_till_rules(request: Request, _: Caller = Depends(admin)) -> dict[str, Any]:
    """Change the till rules named in the body (the others stay); the next snapshot
    carries them."""
    doc = _object(await request.body(), '{"discount_percent": 20, ...}')
    try:
        return await run_in_threadpool(set_till_rules, shop_of(request).store, doc)
    except RulesError as e:
        raise ApiError(422, "bad_till_rules", str(e)) from None


@router.post("/snapshot/build", status_code=201)
def snapshot_build(request: Request, _: Caller = Depends(admin)) -> dict[str, Any]:
    return shop_of(request).build_snapshot()


@router.get("/print-jobs")
def print_jobs(request: Request, _: Caller = Depends(admin)) -> list[dict[str, Any]]:
    return job_list(shop_of(request).store)


@router.get("/printers")
def printers(request: Request, _: Caller = Depends(admin)) -> list[dict[str, Any]]:
    """The kitchen and bar printers and their health (ok / down since, last error,
    tickets waiting), as the spooler last knew it."""
    return printers_view(shop_of(request).store)
