"""A sale being rung up, its payments, and the closed record it becomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .chain import record_hash
from .money import round_half_up
from .vat import VatLine, vat_breakdown

__all__ = [
    "PAYMENT_METHODS",
    "Line",
    "Payment",
    "Sale",
    "SaleError",
    "close_sale",
    "spread_discount",
]

PAYMENT_METHODS = ("cash", "card", "cheque", "meal_voucher")
MAX_QUANTITY = 9999
#: the highest price a line may be given by hand, in cents (100,000.00)
MAX_UNIT_PRICE = 10_000_000
RECORD_VERSION = 1


class SaleError(ValueError):
    """An operation the sale refuses, with a code the screens can translate."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Line:
    article_id: str
    name: str
    unit_price: int
    quantity: int
    vat_bp: int
    category: str = ""
    discount: int = 0
    #: how many of this line the kitchen already has (not part of the sale's record)
    kitchen_sent: int = field(default=0, compare=False)
    #: its price typed by hand (weighed, free price): rung up again, a line of its own
    by_hand: bool = field(default=False, compare=False)
    #: the article's own rate (taken away), when a sale eaten in changed `vat_bp`
    own_vat_bp: int | None = None

    def __post_init__(self) -> None:
        if self.unit_price < 0:
            raise SaleError("bad_price", "a price cannot be negative")
        _check_quantity(self.quantity)
        if not 0 <= self.discount <= self.unit_price * self.quantity:
            raise SaleError("bad_discount", "a discount must be between 0 and the line total")

    @property
    def gross(self) -> int:
        return self.unit_price * self.quantity - self.discount

    def as_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "name": self.name,
            "unit_price": self.unit_price,
            "quantity": self.quantity,
            "vat_bp": self.vat_bp,
            "category": self.category,
            "discount": self.discount,
            **({} if self.own_vat_bp is None else {"own_vat_bp": self.own_vat_bp}),
        }


@dataclass(frozen=True)
class Payment:
    method: str
    amount: int

    def __post_init__(self) -> None:
        if self.method not in PAYMENT_METHODS:
            raise SaleError("bad_payment_method", f"unknown payment method {self.method!r}")
        if self.amount <= 0:
            raise SaleError("bad_amount", "a payment must be a positive amount")

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "amount": self.amount}


def _check_quantity(q: int) -> None:
    if isinstance(q, bool) or not isinstance(q, int) or not 1 <= q <= MAX_QUANTITY:
        raise SaleError("bad_quantity", f"a quantity is a whole number from 1 to {MAX_QUANTITY}")


def _discount_amount(base: int, cents: int | None, percent: float | None) -> int:
    if (cents is None) == (percent is None):
        raise SaleError("bad_discount", "give a discount either in cents or in percent")
    if percent is not None:
        if not 0 <= percent <= 100:
            raise SaleError("bad_discount", "a percentage is between 0 and 100")
        amount = round_half_up(base * round(percent * 100), 10000)
    else:
        amount = int(cents)  # type: ignore[arg-type]
    if not 0 <= amount <= base:
        raise SaleError("bad_discount", "a discount must be between 0 and the amount it reduces")
    return amount


def spread_discount(grosses: dict[int, int], discount: int) -> dict[int, int]:
    """Spread a sale discount over the VAT rates in proportion to their totals.

    Largest remainder, so the parts add up exactly to the discount.
    """
    total = sum(grosses.values())
    if discount == 0 or total == 0:
        return {bp: 0 for bp in grosses}
    shares = {bp: (g * discount) // total for bp, g in grosses.items()}
    rest = discount - sum(shares.values())
    order = sorted(grosses, key=lambda bp: (-((grosses[bp] * discount) % total), -bp))
    for bp in order[:rest]:
        shares[bp] += 1
    return shares


@dataclass
class Sale:
    lines: list[Line] = field(default_factory=list)
    sale_discount: int = 0
    payments: list[Payment] = field(default_factory=list)
    #: the managers' approvals given on this sale (domain.approval.approval)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    #: eaten in rather than taken away: each line's VAT follows (`eat_in_vat`: the
    #: eat-in rate of each article's own rate, the store's rule)
    eat_in: bool = False
    eat_in_vat: dict[int, int] = field(default_factory=dict)

    # -- lines ---------------------------------------------------------------
    def add_line(self, line: Line, *, merge: bool = False) -> int:
        """The line's index. `merge`: an article rung up again goes on its line (the
        quantity added) when that line is like it: same price, no discount, not priced
        by hand."""
        self._check_open()
        self._rate(line)  # eaten in: at the sale's rate before it is compared
        like = self._like(line) if merge else None
        if like is not None:
            self.lines[like].quantity += line.quantity
            self._clamp_discount()
            return like
        self.lines.append(line)
        self._clamp_discount()
        return len(self.lines) - 1

    def _like(self, line: Line) -> int | None:
        """The last line `line` merges into, or None."""
        if line.by_hand or line.discount:
            return None
        for i in range(len(self.lines) - 1, -1, -1):
            old = self.lines[i]
            if (
                not old.by_hand
                and not old.discount
                and (old.article_id, old.name, old.unit_price, old.vat_bp, old.category)
                == (line.article_id, line.name, line.unit_price, line.vat_bp, line.category)
                and old.quantity + line.quantity <= MAX_QUANTITY
            ):
                return i
        return None

    def set_eat_in(self, on: bool, rates: dict[int, int] | None = None) -> None:
        """Eaten in or taken away: every line's VAT follows (`rates`: the article's own
        rate -> the rate eaten in)."""
        self._check_open()
        self.eat_in = bool(on)
        self.eat_in_vat = dict(rates or {})
        for line in self.lines:
            self._rate(line)

    def _rate(self, line: Line) -> None:
        own = line.vat_bp if line.own_vat_bp is None else line.own_vat_bp
        rate = self.eat_in_vat.get(own, own) if self.eat_in else own
        line.vat_bp, line.own_vat_bp = rate, (None if rate == own else own)

    def _line(self, index: int) -> Line:
        if not 0 <= index < len(self.lines):
            raise SaleError("no_such_line", f"there is no line {index + 1} on this sale")
        return self.lines[index]

    def set_quantity(self, index: int, quantity: int) -> None:
        self._check_open()
        line = self._line(index)
        _check_quantity(quantity)
        line.quantity = quantity
        line.discount = min(line.discount, line.unit_price * quantity)
        self._clamp_discount()

    def set_price(self, index: int, unit_price: int) -> None:
        """A price typed for a line (an article sold by weight or at a free price, a
        price label that differs): its discount is kept if it still fits."""
        self._check_open()
        line = self._line(index)
        if isinstance(unit_price, bool) or not isinstance(unit_price, int):
            raise SaleError("bad_price", "a price is a whole number of cents")
        if not 0 <= unit_price <= MAX_UNIT_PRICE:
            raise SaleError("bad_price", "a price is between 0 and 100,000.00")
        line.unit_price = unit_price
        line.by_hand = True
        line.discount = min(line.discount, unit_price * line.quantity)
        self._clamp_discount()

    def void_line(self, index: int) -> Line:
        self._check_open()
        self._line(index)
        line = self.lines.pop(index)
        self._clamp_discount()
        return line

    def discount_line(self, index: int, cents: int | None = None, percent: float | None = None):
        self._check_open()
        line = self._line(index)
        line.discount = _discount_amount(line.unit_price * line.quantity, cents, percent)
        self._clamp_discount()

    def discount_sale(self, cents: int | None = None, percent: float | None = None) -> None:
        self._check_open()
        self.sale_discount = _discount_amount(self.lines_total, cents, percent)

    def _clamp_discount(self) -> None:
        self.sale_discount = min(self.sale_discount, self.lines_total)

    def _check_open(self) -> None:
        if self.payments:
            raise SaleError("payment_started", "payments were taken: cancel them first")

    # -- totals ----------------------------------------------------------------
    @property
    def lines_total(self) -> int:
        return sum(line.gross for line in self.lines)

    @property
    def total(self) -> int:
        return self.lines_total - self.sale_discount

    def vat_breakdown(self) -> list[VatLine]:
        grosses: dict[int, int] = {}
        for line in self.lines:
            grosses[line.vat_bp] = grosses.get(line.vat_bp, 0) + line.gross
        shares = spread_discount(grosses, self.sale_discount)
        return vat_breakdown({bp: g - shares[bp] for bp, g in grosses.items()})

    # -- payments --------------------------------------------------------------
    @property
    def paid(self) -> int:
        return sum(p.amount for p in self.payments)

    @property
    def due(self) -> int:
        return max(self.total - self.paid, 0)

    @property
    def is_paid(self) -> bool:
        return bool(self.lines) and self.paid >= self.total

    def _over(self) -> tuple[int, int]:
        """(change in cash, meal-voucher excess kept by the shop)."""
        excess = self.paid - self.total
        if excess <= 0:
            return 0, 0
        cash = sum(p.amount for p in self.payments if p.method == "cash")
        change = min(excess, cash)
        return change, excess - change

    @property
    def change(self) -> int:
        return self._over()[0]

    @property
    def voucher_excess(self) -> int:
        return self._over()[1]

    def add_payment(self, payment: Payment) -> None:
        if not self.lines:
            raise SaleError("empty_sale", "there is nothing to pay on this sale")
        if self.is_paid:
            raise SaleError("already_paid", "this sale is already paid")
        due = self.due
        if payment.method in ("card", "cheque") and payment.amount > due:
            raise SaleError(
                "overpayment", f"a {payment.method} payment cannot exceed what is due ({due} c)"
            )
        self.payments.append(payment)

    def clear_payments(self) -> None:
        self.payments.clear()

    def remove_payment(self, index: int) -> Payment:
        """Take one payment line off (a wrong amount, a card refused after all)."""
        if not 0 <= index < len(self.payments):
            raise SaleError("no_such_payment", f"there is no payment {index + 1} on this sale")
        return self.payments.pop(index)


def close_sale(
    sale: Sale,
    *,
    sale_id: str,
    till_id: int,
    seq: int,
    prev_hash: str,
    closed_at: datetime,
    cashier_id: str,
    mode: str,
    snapshot_version: int | None,
    clock_behind: bool = False,
) -> dict[str, Any]:
    """The record of a paid sale, hash included: what the outbox and journal keep."""
    if not sale.is_paid:
        raise SaleError("not_paid", f"{sale.due} c still due")
    if seq < 1:
        raise SaleError("bad_seq", "sequence numbers start at 1")
    if mode not in ("online", "autonomous"):
        raise SaleError("bad_mode", f"unknown mode {mode!r}")
    if closed_at.tzinfo is None:
        raise SaleError("bad_time", "the sale time must carry its time zone")
    record: dict[str, Any] = {
        "kind": "sale",
        "v": RECORD_VERSION,
        "sale_id": sale_id,
        "till_id": till_id,
        "seq": seq,
        "closed_at": closed_at.isoformat(),
        "cashier_id": cashier_id,
        "mode": mode,
        "snapshot_version": snapshot_version,
        "lines": [line.as_dict() for line in sale.lines],
        "sale_discount": sale.sale_discount,
        "total": sale.total,
        "vat": [v.as_dict() for v in sale.vat_breakdown()],
        "payments": [p.as_dict() for p in sale.payments],
        "change": sale.change,
        "voucher_excess": sale.voucher_excess,
        "clock_behind": clock_behind,
        "prev_hash": prev_hash,
    }
    if sale.eat_in:
        record["eat_in"] = True
    if sale.approvals:
        record["approvals"] = [dict(a) for a in sale.approvals]
    table = getattr(sale, "table", None)  # a table's part (domain.tables.TableSale)
    if table is not None:
        record["table"] = table
    record["hash"] = record_hash(record)
    return record
