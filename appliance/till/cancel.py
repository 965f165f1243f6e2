"""A sale cancelled before it closed, a payment line taken off, the open sale's summary.

Every cancel of a sale with lines or payments is a `sale_cancelled` event of the
till's journal, written durably (fsync) before the cancel is said, then sent to the
server once like every event (the server keeps each `event_id` once and counts the
cancels in its X and Z reports). A cancel above the store's threshold, or after a
payment line, needs a manager (approvals.py); the event says who approved it.
"""

from __future__ import annotations

import uuid
from typing import Any

from appliance.domain import EventType, Sale, SaleError
from appliance.domain.approval import cancel_needs_approval

from .linelog import LogWriteError

__all__ = ["cancel_sale", "remove_payment", "sale_summary"]


def cancel_sale(reg: Any, manager: Any = None) -> bool:
    """Cancel the register's open sale (`reg`: the Register): `sale_cancelled`, or an
    error that leaves the sale as it was."""
    with reg.lock:
        sale: Sale = reg.sale
        if not sale.lines and not sale.payments:
            reg.sale = Sale()
            reg.core.publish("sale_cancelled", sale=reg.sale_summary(), journaled=False)
            return True
        needed = cancel_needs_approval(reg.approver.rules(), sale.total, sale.paid)
        what = {"total": sale.total, "paid": sale.paid}
        ok, given = reg.approver.check("cancel", needed, manager, reg._cashier_id(), **what)
        if not ok:
            return False
        data: dict[str, Any] = {
            "sale_id": str(uuid.uuid4()),
            "cashier_id": reg._cashier_id(),
            "lines": [ln.as_dict() for ln in sale.lines],
            "sale_discount": sale.sale_discount,
            "total": sale.total,
            "paid": sale.paid,
            "payments": [p.as_dict() for p in sale.payments],
            "mode": str(reg.mode.value if hasattr(reg.mode, "value") else reg.mode),
            "approvals": list(sale.approvals),
            "approval": given,
        }
        try:
            event = reg.journal.record(EventType.SALE_CANCELLED, must=True, **data)
        except LogWriteError as e:
            reg.error(
                "cancel_not_recorded",
                f"the cancel could not be written to the till's journal ({e}): the sale stays",
            )
            return False
        reg.sale = Sale()
        reg.core.publish(
            "sale_cancelled",
            sale=reg.sale_summary(),
            journaled=True,
            event_id=event["event_id"],
            total=data["total"],
            paid=data["paid"],
            approval=given,
        )
    reg.wake.set()
    return True


def remove_payment(reg: Any, index: Any) -> bool:
    """Take payment line `index` off the open sale (journaled): `sale_updated`."""
    with reg.lock:
        try:
            i = int(index)
        except (TypeError, ValueError):
            reg.error("no_such_payment", f"there is no payment {index!r} on this sale")
            return False
        try:
            gone = reg.sale.remove_payment(i)
        except SaleError as e:
            reg.error(e.code, e.message)
            return False
        reg.journal.record(EventType.PAYMENT_REMOVED, cashier_id=reg._cashier_id(),
                           **gone.as_dict())  # fmt: skip
        reg.core.publish("sale_updated", sale=reg.sale_summary())
    return True


def sale_summary(s: Sale) -> dict[str, Any]:
    """The open sale as the screens show it (`sale_updated`'s `sale`)."""
    return {
        "lines": [
            {"index": i, **ln.as_dict(), "gross": ln.gross, "kitchen_sent": ln.kitchen_sent}
            for i, ln in enumerate(s.lines)
        ],
        "sale_discount": s.sale_discount,
        "total": s.total,
        "paid": s.paid,
        "due": s.due,
        "payments": [p.as_dict() for p in s.payments],
        "eat_in": s.eat_in,
        "vat": [v.as_dict() for v in s.vat_breakdown()],
    }
