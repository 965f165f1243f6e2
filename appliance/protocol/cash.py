"""The cash control record on the wire (domain/cash.py makes it): the float, cash in
or out, or the count of the drawer, in the till's chain and seqs like a sale; checked
for shape and arithmetic, its hash on the raw dict."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from .models import Cents, Hex64, Ident, Number, SignedCents, _aware_iso, _Wire

__all__ = ["CashRecord"]

_DENOMINATIONS = {"50000", "20000", "10000", "5000", "2000", "1000", "500", "200", "100"}
_DENOMINATIONS |= {"50", "20", "10", "5", "2", "1"}


class CashRecord(_Wire):
    kind: Literal["cash"]
    v: Literal[1]
    sale_id: Ident
    till_id: Number
    seq: Number
    closed_at: str
    cashier_id: Annotated[str, Field(max_length=64)]
    mode: Literal["online", "autonomous"]
    snapshot_version: StrictInt | None
    action: Literal["float", "in", "out", "count"]
    amount: Cents
    reason: Annotated[str, Field(max_length=80)]
    counted: dict[str, Annotated[StrictInt, Field(ge=0, le=100_000)]] | None = None
    expected: SignedCents | None = None
    difference: SignedCents | None = None
    approved_by: Annotated[str, Field(max_length=64)] | None = None
    clock_behind: StrictBool
    prev_hash: Hex64
    hash: Hex64

    _check_time = field_validator("closed_at")(_aware_iso)

    @property
    def total(self) -> int:
        """Nothing sold: a cash movement adds nothing to the takings."""
        return 0

    @model_validator(mode="after")
    def _adds_up(self) -> CashRecord:
        if self.action != "count":
            if self.amount == 0 or self.counted is not None:
                raise ValueError("a float or cash in/out moves an amount above 0, counts nothing")
            return self
        if self.counted is None or self.expected is None or self.difference is None:
            raise ValueError("a count holds what was counted, expected and the difference")
        if not set(self.counted) <= _DENOMINATIONS:
            raise ValueError("a count names a denomination that is no note or coin")
        if sum(int(d) * n for d, n in self.counted.items()) != self.amount:
            raise ValueError("the pieces counted do not add up to the amount")
        if self.amount - self.expected != self.difference:
            raise ValueError("the difference is not counted - expected")
        return self
