"""The OpenAPI description of the store server's API (`GET /api/v1/openapi.json`).

Most routes read their body themselves (to answer broken JSON with a 400, to
judge each record of an upload alone, to quarantine a malformed sale) and
return plain dicts, and the online sale is answered before FastAPI
(`sale_route.SalePut`): FastAPI alone would describe neither what they take
nor what they answer. `OPERATIONS` says it, operation by operation: who may
call it (security), the body it takes, and every status it answers with the
shape of each. `api_schema` lays it over the schema FastAPI builds from the
routes (paths and parameters come from there). A test checks that every
route is described here, and the fuzz tests (tests/fuzz) check the server's
answers against this description.

Nothing here changes what a route does: it is documentation only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from appliance.protocol import (
    API_PREFIX,
    MAX_BATCH,
    MAX_BODY,
    SNAPSHOT_SHA_HEADER,
    SNAPSHOT_SIGNATURE_HEADER,
    TILL_LAST_SEQ_HEADER,
    TILL_TIME_HEADER,
    Article,
    ArticleIn,
    BatchResult,
    EnrolRequest,
    EnrolResponse,
    ErrorBody,
    Health,
    PendingTill,
    PrintJob,
    SaleRecord,
    SaleStatus,
    Screen,
    SnapshotMeta,
    TillEvent,
)

from .storage import MAX_INT

__all__ = ["OPERATIONS", "Op", "api_schema", "install"]

_REF = "#/components/schemas/{model}"


# -- answers that have no wire model of their own ------------------------------------
class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")


class SaleAnswer(_Doc):
    """The answer to PUT /sales/{sale_id}; `error` and `message` come with 409 and 422."""

    status: SaleStatus
    sale_id: str | None
    seq: int | None
    error: str | None = None
    message: str | None = None


class RawLine(_Doc):
    """A line the till could not read, sent as it is (quarantined by the server)."""

    raw: str
    seq: int | None = None


class OutboxUpload(_Doc):
    """An outbox upload: each record is judged alone (stored, duplicate, conflict or
    quarantined), so a malformed one gets its own result, not a refusal of the lot."""

    records: list[SaleRecord | RawLine]


class EventsUpload(_Doc):
    """Till events; each is judged alone (stored, duplicate or rejected)."""

    events: list[TillEvent]


class EventResult(_Doc):
    index: int
    event_id: str | None
    status: Literal["stored", "duplicate", "rejected"]
    message: str | None = None


class EventsResult(_Doc):
    results: list[EventResult]


class PrintJobState(_Doc):
    job_id: str
    status: str
    printers: list[str]


class PrintJobRow(PrintJobState):
    created_at: str


class PrintDelivery(_Doc):
    """One ticket to one station: `printer_id` is the route, `sent_to` the printer
    used (the backup, maybe); copy 0 is the first ticket, 1, 2... reprints."""

    printer_id: str
    printer: str
    copy_: int = Field(alias="copy")
    state: Literal["queued", "sending", "printed", "uncertain", "failed"]
    sent_to: str | None
    attempts: int
    last_error: str | None
    message: str


class PrintJobDetail(_Doc):
    """A job's state per printer; `message` is what to tell the cashier (empty: all well)."""

    job_id: str
    till_id: int
    status: Literal["queued", "printed", "uncertain", "failed"]
    printers: list[str]
    deliveries: list[PrintDelivery]
    message: str


class ReprintRequest(_Doc):
    """The printer whose ticket to copy (all the job's printers when absent)."""

    printer_id: str | None = None


class PrinterRow(_Doc):
    """A kitchen or bar printer and its health as the spooler last knew it."""

    printer_id: str
    name: str
    kind: str
    address: str
    backup: str | None
    state: Literal["ok", "down", "unknown"]
    since: str | None
    last_error: str | None
    waiting: int
    message: str


class JournalPage(_Doc):
    sales: list[SaleRecord]
    count: int


class ReportFigures(_Doc):
    """An X or Z report: the day's totals per till, per payment method, per VAT rate."""

    kind: Literal["X", "Z"]
    day: str
    sales: int
    total: int
    tills: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    vat: list[dict[str, Any]]
    pending: list[str]
    #: the sales cancelled before they closed: count, total, paid (given back)
    cancelled: dict[str, int] = {}


class ZRequest(_Doc):
    """The day to close, YYYY-MM-DD (today by default)."""

    day: str | None = None


class KeptAside(_Doc):
    """A conflict, a quarantined record or an integrity event."""

    id: int
    till_id: int | None
    seq: int | None


class TillRow(_Doc):
    till_id: int
    name: str
    revoked: bool
    enrolled_at: str
    last_seen: str | None
    last_seq_reported: int | None
    contiguous_seq: int | None


class DeltaWire(_Doc):
    seq: int = Field(ge=1)
    body: str = Field(description="the delta's canonical JSON (appliance/protocol/deltas.py)")
    signature: str = Field(description="Ed25519 signature of body's UTF-8 bytes, base64")


class DeltaFeed(_Doc):
    latest: int = Field(ge=0)
    deltas: list[DeltaWire]


class CodeRequest(_Doc):
    name: str = ""


class EnrolmentCode(_Doc):
    code: str
    name: str
    valid_hours: int


class Revoked(_Doc):
    till_id: int
    revoked: bool


class TillRules(_Doc):
    """What needs a manager's PIN at the till, and the PIN settings (a `PUT` changes the
    ones it names; the next snapshot's meta carries them as `rules`)."""

    discount_percent: int | None = None
    discount_cents: int | None = None
    price_cut_cents: int | None = None
    void_cents: int | None = None
    cancel_cents: int | None = None
    pin_tries: int = 5
    pin_lock_s: int = 30
    pin_only_login: bool = False
    card_confirmation: bool = False
    eat_in_vat: dict[str, int] | None = None


_MODELS: list[type[BaseModel]] = [
    DeltaFeed,
    DeltaWire,
    Article,
    ArticleIn,
    BatchResult,
    CodeRequest,
    EnrolmentCode,
    EnrolRequest,
    EnrolResponse,
    ErrorBody,
    EventsResult,
    EventsUpload,
    Health,
    JournalPage,
    KeptAside,
    OutboxUpload,
    PendingTill,
    PrintDelivery,
    PrintJob,
    PrintJobDetail,
    PrintJobRow,
    PrintJobState,
    PrinterRow,
    ReportFigures,
    ReprintRequest,
    Revoked,
    SaleAnswer,
    SaleRecord,
    Screen,
    SnapshotMeta,
    TillRow,
    TillRules,
    ZRequest,
]

# -- what each operation takes and answers -------------------------------------------
Auth = Literal["none", "optional", "till", "admin", "any"]
Shape = type[BaseModel] | tuple[str, type[BaseModel]] | dict[str, Any]


@dataclass(frozen=True)
class Op:
    """One operation: who calls it, its JSON body, its answers (status -> shape).

    A shape is a model, ("list", model) for an array of them, or a JSON schema.
    The errors every operation of its kind may answer (401, 403, 400, 413, 422)
    are added by `api_schema` from `auth` and `body`.
    """

    auth: Auth
    ok: dict[int, Shape]
    body: Shape | None = None
    body_required: bool = True
    errors: tuple[int, ...] = ()
    headers: dict[int, dict[str, Any]] = field(default_factory=dict)
    parameters: tuple[dict[str, Any], ...] = ()


_OBJECT: dict[str, Any] = {"type": "object"}
_TICKET: dict[str, Any] = {
    "type": "object",
    "properties": {"sale": _OBJECT, "refunds": {"type": "array", "items": _OBJECT}},
}

OPERATIONS: dict[tuple[str, str], Op] = {
    ("get", "/health"): Op(
        "optional",
        {200: Health},
        parameters=(
            {
                "name": TILL_LAST_SEQ_HEADER,
                "in": "header",
                "required": False,
                "description": "with a till token: the last seq the till has closed",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_INT},
            },
            {
                "name": TILL_TIME_HEADER,
                "in": "header",
                "required": False,
                "description": "with a till token: the till's clock, ISO 8601 with its zone",
                "schema": {"type": "string", "format": "date-time"},
            },
        ),
        errors=(400,),
    ),
    ("post", "/enroll"): Op("none", {200: EnrolResponse}, EnrolRequest, errors=(403,)),
    ("get", "/barcodes/{code}"): Op("any", {200: Article}, errors=(404,)),
    ("get", "/articles/{article_id}"): Op("any", {200: Article}, errors=(404,)),
    ("post", "/articles"): Op("any", {201: Article}, ArticleIn, errors=(409,)),
    ("get", "/screens"): Op("any", {200: ("list", Screen)}),
    ("put", "/sales/{sale_id}"): Op(
        "till",
        # 409 (conflict) and 422 (quarantined) answer the sale's fate, not an error page.
        {201: SaleAnswer, 200: SaleAnswer, 409: SaleAnswer, 422: SaleAnswer},
        SaleRecord,
    ),
    ("post", "/tills/{till_id}/outbox"): Op("till", {200: BatchResult}, OutboxUpload),
    ("post", "/tills/{till_id}/events"): Op("till", {200: EventsResult}, EventsUpload),
    ("get", "/snapshot"): Op("any", {200: SnapshotMeta}, errors=(404,)),
    ("get", "/deltas"): Op("any", {200: DeltaFeed}, errors=(410,)),
    ("get", "/snapshot/{version}"): Op(
        "any",
        {200: _OBJECT},
        errors=(404,),
        headers={
            200: {
                SNAPSHOT_SHA_HEADER: {"required": True, "schema": {"type": "string"}},
                SNAPSHOT_SIGNATURE_HEADER: {"required": False, "schema": {"type": "string"}},
            }
        },
    ),
    ("post", "/print-jobs"): Op("till", {202: PrintJobState}, PrintJob, errors=(409,)),
    ("get", "/print-jobs/{job_id}"): Op("any", {200: PrintJobDetail}, errors=(403, 404)),
    ("post", "/print-jobs/{job_id}/reprint"): Op(
        "any",
        {202: PrintJobDetail},
        ReprintRequest,
        body_required=False,
        errors=(403, 404, 409),
    ),
    ("get", "/printers"): Op("admin", {200: ("list", PrinterRow)}),
    # a sale a receipt names, and the refunds of it (server/refunds.py)
    ("get", "/tickets/{till_id}/{seq}"): Op("till", {200: _TICKET}, errors=(404,)),
    ("get", "/tickets/{sale_id}"): Op("till", {200: _TICKET}, errors=(404,)),
    ("get", "/journal"): Op("any", {200: JournalPage}, errors=(403,)),
    ("get", "/pending"): Op("admin", {200: ("list", PendingTill)}),
    ("get", "/reports/x"): Op("admin", {200: ReportFigures}),
    ("post", "/reports/z"): Op(
        "admin", {201: ReportFigures, 200: ReportFigures}, ZRequest, body_required=False
    ),
    ("get", "/conflicts"): Op("admin", {200: ("list", KeptAside)}),
    ("get", "/quarantine"): Op("admin", {200: ("list", KeptAside)}),
    ("get", "/integrity"): Op("admin", {200: ("list", KeptAside)}),
    ("get", "/tills"): Op("admin", {200: ("list", TillRow)}),
    ("post", "/enrolment-codes"): Op(
        "admin", {201: EnrolmentCode}, CodeRequest, body_required=False
    ),
    ("post", "/tills/{till_id}/revoke"): Op("admin", {200: Revoked}, errors=(404,)),
    ("post", "/snapshot/build"): Op("admin", {201: SnapshotMeta}),
    ("get", "/till-rules"): Op("admin", {200: TillRules}),
    ("put", "/till-rules"): Op("admin", {200: TillRules}, TillRules),
    ("get", "/print-jobs"): Op("admin", {200: ("list", PrintJobRow)}),
    # the open tables a till holds (docs/architecture.md, "Tables"): a table's bill is
    # the domain's Tab as JSON (appliance/domain/tables.py), refusals are ErrorBody
    ("get", "/tables"): Op("any", {200: _OBJECT}),
    ("get", "/tables/{table_id}"): Op("any", {200: _OBJECT}, errors=(404,)),
    ("put", "/tables/{table_id}"): Op("till", {200: _OBJECT}, _OBJECT, errors=(409,)),
    ("post", "/tables/{table_id}/take"): Op("till", {200: _OBJECT}, errors=(404, 409)),
    ("post", "/tables/{table_id}/paying"): Op("till", {200: _OBJECT}, _OBJECT, errors=(404, 409)),
    ("post", "/tables/{table_id}/lines"): Op("till", {200: _OBJECT}, _OBJECT, errors=(409,)),
    ("put", "/floor-plan"): Op("admin", {200: _OBJECT}, _OBJECT),
}

_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    400: "Malformed request (broken JSON, a bad header)",
    401: "Missing, unknown or revoked token",
    403: "Not for this caller (admin only, till only, another till's data), or refused",
    404: "Not found",
    409: "Conflict with what is stored",
    410: "Gone: too far behind (or ahead of a restored server): take the current snapshot",
    413: f"Body over {MAX_BODY} bytes, or more than {MAX_BATCH} items",
    422: "Invalid content",
}

_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "none": [],
    "optional": [{}, {"till": []}, {"admin": []}],
    "till": [{"till": []}],
    "admin": [{"admin": []}],
    "any": [{"till": []}, {"admin": []}],
}


def _schema(shape: Shape) -> dict[str, Any]:
    if isinstance(shape, dict):
        return shape
    if isinstance(shape, tuple):
        return {"type": "array", "items": _schema(shape[1])}
    return {"$ref": _ref(shape)}


def _ref(model: type[BaseModel]) -> str:
    return _REF.format(model=model.__name__)


def _json(shape: Shape) -> dict[str, Any]:
    return {"application/json": {"schema": _schema(shape)}}


def _statuses(op: Op) -> dict[int, Shape]:
    answers: dict[int, Shape] = dict(op.ok)
    errors = set(op.errors)
    if op.auth != "none":
        errors.add(401)
    if op.auth in ("till", "admin"):
        errors.add(403)
    if op.body is not None:
        errors |= {400, 413, 422}
    errors.add(422)  # a path or query parameter that is not what it says
    for status in sorted(errors):
        answers.setdefault(status, ErrorBody)
    return answers


def _describe(operation: dict[str, Any], op: Op) -> None:
    operation["security"] = _SECURITY[op.auth]
    if op.parameters:
        operation["parameters"] = [*operation.get("parameters", []), *op.parameters]
    if op.body is not None:
        operation["requestBody"] = {"required": op.body_required, "content": _json(op.body)}
    responses: dict[str, Any] = {}
    for status, shape in sorted(_statuses(op).items()):
        answer: dict[str, Any] = {"description": _DESCRIPTIONS[status], "content": _json(shape)}
        headers = dict(op.headers.get(status, {}))
        if status == 401:
            headers["WWW-Authenticate"] = {"required": True, "schema": {"type": "string"}}
        if headers:
            answer["headers"] = headers
        responses[str(status)] = answer
    operation["responses"] = responses


def api_schema(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of `app`: FastAPI's, described by `OPERATIONS`."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description="The store server of Autonome: tills sell against it, "
        "admins read its journal and reports (docs/internals.md).",
        routes=app.routes,
    )
    components = schema.setdefault("components", {})
    refs, defs = models_json_schema([(m, "validation") for m in _MODELS], ref_template=_REF)
    missing = [m.__name__ for m in _MODELS if refs[(m, "validation")] != {"$ref": _ref(m)}]
    if missing:  # two models of one name: pydantic renamed them
        raise RuntimeError(f"OpenAPI: models named alike: {missing}")
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(defs.get("$defs", {}))
    components["securitySchemes"] = {
        "till": {
            "type": "http",
            "scheme": "bearer",
            "description": "the token a till received at enrolment (POST /enroll)",
        },
        "admin": {
            "type": "http",
            "scheme": "bearer",
            "description": "the admin token, in <server data>/admin.token",
        },
    }
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            op = OPERATIONS.get((method, path.removeprefix(API_PREFIX)))
            if op is not None:
                _describe(operation, op)
    app.openapi_schema = schema
    return schema


def install(app: FastAPI) -> None:
    """Serve `api_schema(app)` as the app's OpenAPI document."""

    def openapi() -> dict[str, Any]:
        return api_schema(app)

    app.openapi = openapi  # type: ignore[method-assign]
