"""The endpoints tills use: health, enrolment, catalogue, sales, events, snapshot, tickets."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from appliance.protocol import (
    API_VERSION,
    MAX_BATCH,
    SNAPSHOT_SHA_HEADER,
    SNAPSHOT_SIGNATURE_HEADER,
    TILL_LAST_SEQ_HEADER,
    TILL_TIME_HEADER,
    ArticleIn,
    EnrolRequest,
    PrintJob,
    TillEvent,
)
from appliance.protocol.signing import public_key_b64

from .catalogue import (
    CatalogueError,
    article_by_barcode,
    article_by_id,
    create_article,
    screen_list,
)
from .clocks import parse_till_time
from .enrolment import EnrolmentRefused, enrol
from .errors import ApiError, parse_json
from .ingest import Outcome, ingest_batch
from .print_status import job_view
from .printing import PrintRefused, reprint, submit_job
from .refunds import find_ticket
from .shop import Caller, Shop, any_caller, caller_or_none, shop_of, till
from .snapshot import latest_snapshot, snapshot_path
from .storage import MAX_INT, now_iso, till_events

__all__ = ["router", "sale_answer"]

router = APIRouter()


def _invalid(e: ValidationError) -> ApiError:
    parts = []
    for err in e.errors()[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ())) or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return ApiError(422, "invalid", "; ".join(parts))


async def _json(request: Request) -> Any:
    return parse_json(await request.body())


@router.get("/health")
def health(request: Request, caller: Caller | None = Depends(caller_or_none)) -> dict[str, Any]:
    shop = shop_of(request)
    offset = None
    if caller is not None and caller.kind == "till":
        till_time = request.headers.get(TILL_TIME_HEADER)
        if till_time is not None:
            try:
                when = parse_till_time(till_time)
            except ValueError:
                raise ApiError(
                    400, "bad_header", f"{TILL_TIME_HEADER} is an ISO 8601 time with its zone"
                ) from None
            offset = shop.clocks.observe(caller.till_id or 0, when)
        raw = request.headers.get(TILL_LAST_SEQ_HEADER)
        last_seq = None
        if raw is not None:
            try:
                last_seq = int(raw)
            except ValueError:
                last_seq = -1
            if not 0 <= last_seq <= MAX_INT:
                raise ApiError(
                    400,
                    "bad_header",
                    f"{TILL_LAST_SEQ_HEADER} must be a whole number from 0 to {MAX_INT}",
                )
        shop.contact(caller.till_id or 0, last_seq)
    answer = {
        "status": "ok",
        "server_id": shop.server_id,
        "api": API_VERSION,
        "time": shop.clock().isoformat(),
        "snapshot": latest_snapshot(shop.store),
    }
    if caller is not None and caller.kind == "till":
        # what this server holds of the calling till: less than the till had
        # acknowledged means it was restored from a backup, and the till sends again
        answer["contiguous_seq"] = shop.held_seq(caller.till_id or 0)
    if offset is not None:
        answer["clock_offset_s"] = offset
    return answer


@router.post("/enroll")
async def enroll(request: Request) -> dict[str, Any]:
    shop = shop_of(request)
    try:
        req = EnrolRequest.model_validate(await _json(request))
    except ValidationError as e:
        raise _invalid(e) from None
    try:
        till_id, token = await run_in_threadpool(enrol, shop.store, req.code, req.name)
    except EnrolmentRefused as e:
        raise ApiError(403, "bad_enrolment_code", str(e)) from None
    return {
        "till_id": till_id,
        "token": token,
        "server_id": shop.server_id,
        "signing_key": public_key_b64(shop.data.signing_key()),
        "tls_fingerprint": shop.tls_fingerprint,
    }


@router.get("/barcodes/{code}")
def barcode(code: str, request: Request, _: Caller = Depends(any_caller)) -> dict[str, Any]:
    found = article_by_barcode(shop_of(request).store, code)
    if found is None:
        raise ApiError(404, "unknown_barcode", f"no article has the barcode {code}", barcode=code)
    return found


@router.get("/articles/{article_id}")
def article(article_id: str, request: Request, _: Caller = Depends(any_caller)) -> dict[str, Any]:
    found = article_by_id(shop_of(request).store, article_id)
    if found is None:
        raise ApiError(404, "unknown_article", f"there is no article {article_id}")
    return found


@router.post("/articles", status_code=201)
async def new_article(request: Request, _: Caller = Depends(any_caller)) -> dict[str, Any]:
    try:
        item = ArticleIn.model_validate(await _json(request))
    except ValidationError as e:
        raise _invalid(e) from None
    try:
        return await run_in_threadpool(create_article, shop_of(request).store, item.model_dump())
    except CatalogueError as e:
        raise ApiError(e.status, e.code, e.message) from None


@router.get("/screens")
def screens(request: Request, _: Caller = Depends(any_caller)) -> list[dict[str, Any]]:
    with shop_of(request).store.read() as conn:
        return screen_list(conn)


def sale_answer(out: Outcome) -> dict[str, Any]:
    """The body of the answer to PUT /sales/{sale_id} (its status is `out.http_status`)."""
    answer: dict[str, Any] = {"status": out.status, "sale_id": out.sale_id, "seq": out.seq}
    if out.status in ("conflict", "quarantined"):
        answer.update(error=out.reason or out.status, message=out.message)
    return answer


@router.put("/sales/{sale_id}")
async def put_sale(sale_id: str, request: Request, caller: Caller = Depends(till)) -> JSONResponse:
    """Commit one sale. Served by `sale_route.SalePut` in front of the app (same answers,
    without the framework's per-request work); this route documents it and stands in
    for it in an app built without that middleware."""
    body = await request.body()
    assert caller.till_id is not None
    out = await shop_of(request).committer.put(caller.till_id, body, sale_id)
    return JSONResponse(sale_answer(out), status_code=out.http_status)


def _own_till(caller: Caller, till_id: int) -> None:
    if caller.till_id != till_id:
        raise ApiError(
            403, "wrong_till", f"this token belongs to till {caller.till_id}, not till {till_id}"
        )


@router.post("/tills/{till_id}/outbox")
async def upload(till_id: int, request: Request, caller: Caller = Depends(till)) -> dict[str, Any]:
    _own_till(caller, till_id)
    doc = await _json(request)
    records = doc.get("records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        raise ApiError(422, "invalid", 'an upload is {"records": [ ... ]}')
    if len(records) > MAX_BATCH:
        raise ApiError(
            413, "batch_too_large", f"{len(records)} records; send at most {MAX_BATCH} at a time"
        )
    outcomes, contiguous = await run_in_threadpool(
        ingest_batch, shop_of(request).store, till_id, records
    )
    return {
        "results": [
            {"index": i, "sale_id": o.sale_id, "seq": o.seq, "status": o.status}
            for i, o in enumerate(outcomes)
        ],
        "contiguous_seq": contiguous,
    }


def _store_events(shop, till_id: int, events: list[Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with shop.store.write() as conn:
        for i, raw in enumerate(events):
            try:
                ev = TillEvent.model_validate(raw)
            except ValidationError as e:
                results.append({"index": i, "event_id": None, "status": "rejected",
                                "message": _invalid(e).message})  # fmt: skip
                continue
            if ev.till_id != till_id:
                results.append({"index": i, "event_id": ev.event_id, "status": "rejected",
                                "message": f"an event of till {ev.till_id}"})  # fmt: skip
                continue
            seen = conn.execute(
                select(till_events.c.till_id).where(till_events.c.event_id == ev.event_id)
            ).first()
            if seen is not None:
                results.append({"index": i, "event_id": ev.event_id, "status": "duplicate"})
                continue
            conn.execute(
                till_events.insert().values(
                    event_id=ev.event_id,
                    till_id=till_id,
                    type=ev.type,
                    at=ev.at,
                    body=orjson.dumps(raw).decode(),
                    received_at=now_iso(),
                )
            )
            results.append({"index": i, "event_id": ev.event_id, "status": "stored"})
    return results


@router.post("/tills/{till_id}/events")
async def events(till_id: int, request: Request, caller: Caller = Depends(till)) -> dict[str, Any]:
    _own_till(caller, till_id)
    doc = await _json(request)
    items = doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ApiError(422, "invalid", 'events are sent as {"events": [ ... ]}')
    if len(items) > MAX_BATCH:
        raise ApiError(413, "batch_too_large", f"send at most {MAX_BATCH} events at a time")
    results = await run_in_threadpool(_store_events, shop_of(request), till_id, items)
    return {"results": results}


def _ticket(found: dict[str, Any] | None, name: str) -> dict[str, Any]:
    if found is None:
        raise ApiError(404, "unknown_ticket", f"no sale {name} in the store's journal")
    return found


@router.get("/tickets/{till_id}/{seq}")
def ticket_by_number(
    request: Request,
    till_id: int = Path(ge=1, le=MAX_INT),
    seq: int = Path(ge=1, le=MAX_INT),
    _: Caller = Depends(till),
) -> dict[str, Any]:
    """The sale a receipt's number names, and the refunds made of it (a refund's lookup)."""
    found = find_ticket(shop_of(request).store, till_id=till_id, seq=seq)
    return _ticket(found, f"T{till_id}-{seq}")


@router.get("/tickets/{sale_id}")
def ticket_by_code(
    request: Request, sale_id: str = Path(min_length=1, max_length=64), _: Caller = Depends(till)
) -> dict[str, Any]:
    """The sale a receipt's code (its sale id) names, and the refunds made of it."""
    return _ticket(find_ticket(shop_of(request).store, sale_id=sale_id), sale_id)


@router.get("/snapshot")
def snapshot_meta(request: Request, _: Caller = Depends(any_caller)) -> dict[str, Any]:
    meta = latest_snapshot(shop_of(request).store)
    if meta is None:
        raise ApiError(404, "no_snapshot", "no snapshot was built yet")
    return meta


@router.get("/snapshot/{version}")
def snapshot_file(
    request: Request, version: int = Path(ge=1, le=MAX_INT), _: Caller = Depends(any_caller)
):
    shop = shop_of(request)
    meta = latest_snapshot(shop.store, version)
    path = snapshot_path(shop.data, version)
    if meta is None or not path.exists():
        raise ApiError(404, "unknown_snapshot", f"snapshot {version} is not kept here")
    headers = {SNAPSHOT_SHA_HEADER: meta["sha256"], "X-Snapshot-Version": str(version)}
    if meta["signature"]:
        headers[SNAPSHOT_SIGNATURE_HEADER] = meta["signature"]
    return FileResponse(path, media_type="application/json", headers=headers)


@router.post("/print-jobs", status_code=202)
async def print_job(request: Request, caller: Caller = Depends(till)) -> dict[str, Any]:
    try:
        job = PrintJob.model_validate(await _json(request))
    except ValidationError as e:
        raise _invalid(e) from None
    if job.till_id != caller.till_id:
        raise ApiError(403, "wrong_till", f"this token belongs to till {caller.till_id}")
    shop = shop_of(request)
    try:
        state, _new = await run_in_threadpool(
            submit_job, shop.store, job.model_dump(), shop.spooler
        )
    except PrintRefused as e:
        raise ApiError(e.status, e.code, e.message) from None
    return state


JobId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


def _own_job(shop: Shop, job_id: str, caller: Caller) -> dict[str, Any]:
    view = job_view(shop.store, job_id)
    if view is None:
        raise ApiError(404, "unknown_job", f"there is no print job {job_id}")
    if caller.kind == "till" and view["till_id"] != caller.till_id:
        raise ApiError(403, "wrong_till", "a till reads only its own print jobs")
    return view


@router.get("/print-jobs/{job_id}")
def print_job_state(
    request: Request, job_id: JobId, caller: Caller = Depends(any_caller)
) -> dict[str, Any]:
    """The job's state per printer, with what to tell the cashier (`message`)."""
    return _own_job(shop_of(request), job_id, caller)


@router.post("/print-jobs/{job_id}/reprint", status_code=202)
async def print_job_reprint(
    request: Request, job_id: JobId, caller: Caller = Depends(any_caller)
) -> dict[str, Any]:
    """A copy of the job's tickets, marked COPIE on the paper; `{"printer_id": "..."}`
    for one printer's only."""
    body = await request.body()
    doc = parse_json(body) if body else {}
    if not isinstance(doc, dict):
        raise ApiError(422, "invalid", 'the body is a JSON object: {"printer_id": "..."}, or none')
    printer_id = doc.get("printer_id")
    if printer_id is not None and (not isinstance(printer_id, str) or len(printer_id) > 64):
        raise ApiError(422, "invalid", "printer_id: a printer id (text of at most 64 characters)")
    shop = shop_of(request)
    await run_in_threadpool(_own_job, shop, job_id, caller)
    try:
        copies = await run_in_threadpool(reprint, shop.store, job_id, printer_id)
    except PrintRefused as e:
        raise ApiError(e.status, e.code, e.message) from None
    shop.spooler.submit(job_id, copies, {})
    return await run_in_threadpool(_own_job, shop, job_id, caller)
