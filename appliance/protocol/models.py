"""Pydantic models of what travels between a till and the store server.

The server validates with them; the till may build and read with them. The
sale record is checked here for shape and arithmetic; its hash is checked
with `appliance.domain.chain` on the raw dict, never on a re-serialised model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

__all__ = [
    "Article",
    "ArticleIn",
    "BatchItemResult",
    "BatchResult",
    "BatchUpload",
    "Button",
    "EnrolRequest",
    "EnrolResponse",
    "ErrorBody",
    "EventsUpload",
    "Health",
    "PendingTill",
    "PrintJob",
    "PrintLine",
    "SaleLine",
    "SalePayment",
    "SaleRecord",
    "SaleResult",
    "SaleStatus",
    "SaleVat",
    "Screen",
    "SnapshotMeta",
    "TillEvent",
]

#: A till id or a seq: from 1 to the largest integer the store's journal (SQLite) holds.
Number = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
Cents = Annotated[StrictInt, Field(ge=0, le=10**11)]
SignedCents = Annotated[StrictInt, Field(ge=-(10**11), le=10**11)]
VatBp = Annotated[StrictInt, Field(ge=0, le=10000)]
Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Barcode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
#: The same four as `appliance.domain.PAYMENT_METHODS` (a unit test keeps them equal).
PaymentMethod = Literal["cash", "card", "cheque", "meal_voucher"]

SaleStatus = Literal["stored", "duplicate", "conflict", "quarantined"]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def _aware_iso(value: str) -> str:
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError("not an ISO 8601 date and time") from None
    if when.tzinfo is None:
        raise ValueError("the time must carry its time zone")
    return value


class ErrorBody(_Wire):
    error: str
    message: str


# -- the sale record ------------------------------------------------------------
class SaleLine(_Wire):
    article_id: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(max_length=200)]
    unit_price: Cents
    quantity: Annotated[StrictInt, Field(ge=1, le=9999)]
    vat_bp: VatBp
    category: Annotated[str, Field(max_length=64)] = ""
    discount: Cents = 0

    @model_validator(mode="after")
    def _discount_fits(self) -> SaleLine:
        if self.discount > self.unit_price * self.quantity:
            raise ValueError("a line discount exceeds the line")
        return self

    @property
    def gross(self) -> int:
        return self.unit_price * self.quantity - self.discount


class SaleVat(_Wire):
    vat_bp: VatBp
    gross: SignedCents
    net: SignedCents
    vat: SignedCents


class SalePayment(_Wire):
    method: PaymentMethod
    amount: Annotated[StrictInt, Field(gt=0, le=10**11)]


class SaleRecord(_Wire):
    """A closed sale as the till's outbox holds it (see docs/internals.md)."""

    kind: Literal["sale"]
    v: Literal[1]
    sale_id: Ident
    till_id: Number
    seq: Number
    closed_at: str
    cashier_id: Annotated[str, Field(max_length=64)]
    mode: Literal["online", "autonomous"]
    snapshot_version: StrictInt | None
    lines: Annotated[list[SaleLine], Field(min_length=1, max_length=2000)]
    sale_discount: Cents
    total: Cents
    vat: list[SaleVat]
    payments: Annotated[list[SalePayment], Field(min_length=1, max_length=50)]
    change: Cents
    voucher_excess: Cents
    clock_behind: StrictBool
    prev_hash: Hex64
    hash: Hex64

    _check_time = field_validator("closed_at")(_aware_iso)

    @model_validator(mode="after")
    def _adds_up(self) -> SaleRecord:
        lines = sum(line.gross for line in self.lines)
        if self.total != lines - self.sale_discount:
            raise ValueError(f"total {self.total} is not lines {lines} - discount")
        if sum(v.gross for v in self.vat) != self.total:
            raise ValueError("the VAT lines do not add up to the total")
        if any(v.net + v.vat != v.gross for v in self.vat):
            raise ValueError("a VAT line's net + vat is not its gross")
        paid = sum(p.amount for p in self.payments)
        if paid - self.change - self.voucher_excess != self.total:
            raise ValueError(f"payments {paid} - change - voucher excess is not the total")
        cash = sum(p.amount for p in self.payments if p.method == "cash")
        if self.change > cash:
            raise ValueError("change is given only from cash")
        return self

    @property
    def closed_at_dt(self) -> datetime:
        return datetime.fromisoformat(self.closed_at)


class SaleResult(_Wire):
    status: SaleStatus
    sale_id: str | None = None
    seq: int | None = None
    message: str = ""


# -- uploads ------------------------------------------------------------------
class BatchUpload(_Wire):
    """An outbox upload. Items are judged one by one, so they stay untyped here."""

    records: list[Any]


class BatchItemResult(_Wire):
    index: int
    sale_id: str | None
    seq: int | None
    status: SaleStatus


class BatchResult(_Wire):
    results: list[BatchItemResult]
    contiguous_seq: int


class TillEvent(_Wire):
    kind: Literal["event"] = "event"
    event_id: Ident
    till_id: Number
    at: str
    type: Annotated[str, Field(min_length=1, max_length=64)]
    data: dict[str, Any] = Field(default_factory=dict)

    _check_time = field_validator("at")(_aware_iso)


class EventsUpload(_Wire):
    events: list[Any]


# -- store data ---------------------------------------------------------------
class Article(_Wire):
    article_id: str
    name: str
    price: int
    vat_bp: int
    category: str
    barcodes: list[str] = Field(default_factory=list)


class ArticleIn(_Wire):
    model_config = ConfigDict(extra="forbid", frozen=True)

    article_id: Ident | None = None
    name: Annotated[str, Field(min_length=1, max_length=120)]
    price: Cents
    vat_bp: VatBp
    category: Annotated[str, Field(max_length=64)] = ""
    barcodes: Annotated[list[Barcode], Field(max_length=20)] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("an article needs a name")
        return v


class Button(_Wire):
    position: int
    label: str
    colour: str
    article_id: str | None


class Screen(_Wire):
    screen_id: int
    name: str
    position: int
    colour: str
    buttons: list[Button]


# -- server, enrolment, snapshot ---------------------------------------------------
class SnapshotMeta(_Wire):
    version: int
    sha256: str
    size: int
    built_at: str
    #: Ed25519 signature of the file's bytes, base64 (None: built before signing).
    signature: str | None = None


class Health(_Wire):
    status: Literal["ok"] = "ok"
    server_id: str
    api: str
    time: str
    snapshot: SnapshotMeta | None
    #: with a till token: the highest seq n such that the server holds sales 1..n
    contiguous_seq: int | None = None
    #: with a till token and X-Till-Time: the till's clock minus the server's, seconds
    clock_offset_s: int | None = None


class EnrolRequest(_Wire):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(max_length=64)] = ""


class EnrolResponse(_Wire):
    till_id: int
    token: str
    server_id: str
    #: The server's Ed25519 public key (raw 32 bytes, base64): snapshots are checked with it.
    signing_key: str
    #: SHA-256 of the server's TLS certificate (AB:CD:...): the till pins that certificate.
    tls_fingerprint: str


class PrintLine(_Wire):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    quantity: Annotated[StrictInt, Field(ge=1, le=9999)] = 1
    category: Annotated[str, Field(max_length=64)] = ""
    article_id: Annotated[str, Field(max_length=64)] = ""
    note: Annotated[str, Field(max_length=200)] = ""


class PrintJob(_Wire):
    job_id: Ident
    till_id: Number
    table: Annotated[str, Field(max_length=32)] | StrictInt | None = None
    covers: Annotated[StrictInt, Field(ge=0, le=999)] | None = None
    note: Annotated[str, Field(max_length=500)] = ""
    lines: Annotated[list[PrintLine], Field(min_length=1, max_length=200)]
    #: who the order is for (a take-away's customer), printed under the table
    name: Annotated[str, Field(max_length=40)] = ""
    #: lines the kitchen already had, sent again: the ticket says COPIE
    reprint: StrictBool = False


class PendingTill(_Wire):
    till_id: int
    name: str
    ranges: list[tuple[int, int]]
    text: str
