"""The refund record on the wire (domain/refund.py makes it), checked for shape and
arithmetic as `SaleRecord` is; its hash is checked on the raw dict."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from .models import Cents, Hex64, Ident, Number, SaleVat, VatBp, _aware_iso, _Wire

__all__ = ["RefundLine", "RefundOriginal", "RefundPayment", "RefundRecord"]


class RefundLine(_Wire):
    line: Annotated[StrictInt, Field(ge=0, le=1999)]
    article_id: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(max_length=200)]
    unit_price: Cents
    quantity: Annotated[StrictInt, Field(ge=1, le=9999)]
    vat_bp: VatBp
    category: Annotated[str, Field(max_length=64)] = ""
    amount: Cents

    @model_validator(mode="after")
    def _fits(self) -> RefundLine:
        if self.amount > self.unit_price * self.quantity:
            raise ValueError("a line gives back more than its price times its quantity")
        return self


class RefundPayment(_Wire):
    method: Literal["cash", "card"]
    amount: Annotated[StrictInt, Field(gt=0, le=10**11)]


class RefundOriginal(_Wire):
    till_id: Number
    seq: Number
    closed_at: str
    total: Cents


class RefundRecord(_Wire):
    """A refund as the till's outbox holds it: in the same chain and seqs as its sales."""

    kind: Literal["refund"]
    v: Literal[1]
    sale_id: Ident
    till_id: Number
    seq: Number
    closed_at: str
    cashier_id: Annotated[str, Field(max_length=64)]
    mode: Literal["online", "autonomous"]
    snapshot_version: StrictInt | None
    refund_of: Ident
    original: RefundOriginal
    lines: Annotated[list[RefundLine], Field(min_length=1, max_length=2000)]
    total: Cents
    vat: list[SaleVat]
    payments: Annotated[list[RefundPayment], Field(max_length=5)]
    approved_by: Annotated[str, Field(max_length=64)] | None = None
    clock_behind: StrictBool
    prev_hash: Hex64
    hash: Hex64

    _check_time = field_validator("closed_at")(_aware_iso)

    @model_validator(mode="after")
    def _adds_up(self) -> RefundRecord:
        lines = sum(ln.amount for ln in self.lines)
        if self.total != lines:
            raise ValueError(f"total {self.total} is not the lines' {lines}")
        if sum(v.gross for v in self.vat) != self.total:
            raise ValueError("the VAT lines do not add up to the total")
        if any(v.net + v.vat != v.gross for v in self.vat):
            raise ValueError("a VAT line's net + vat is not its gross")
        if sum(p.amount for p in self.payments) != self.total:
            raise ValueError("what is paid back is not the total")
        if len({ln.line for ln in self.lines}) != len(self.lines):
            raise ValueError("a line of the sale is named twice")
        if self.refund_of == self.sale_id:
            raise ValueError("a refund of itself")
        return self
