"""The card confirmation step (the store's `card_confirmation`): a card payment waits
for the cashier to say what the payment terminal answered before it is taken.

`hold(reg, items)` keeps the payments asked for and says `card_pending` (the amount
the terminal is asked for); `answer(reg, accepted)` takes them (the sale closes once
paid) or drops them (`card_refused`: nothing was taken, the sale stays open).
"""

from __future__ import annotations

from typing import Any

__all__ = ["answer", "hold"]


def hold(reg: Any, items: list[dict[str, Any]]) -> bool:
    """True when the payments wait for the terminal's answer."""
    if not reg.approver.rules().card_confirmation:
        return False
    if not any(str(i.get("method")) == "card" for i in items if isinstance(i, dict)):
        return False
    due = reg.sale.due
    cards = [
        due if i.get("amount") is None else i.get("amount")
        for i in items
        if isinstance(i, dict) and str(i.get("method")) == "card"
    ]
    with reg.lock:  # for this sale only: cancelled or closed, the answer takes nothing
        reg._card_pending = (reg.sale, [dict(i) for i in items])
    reg.core.publish("card_pending", amount=sum(int(c or 0) for c in cards), due=due)
    return True


def answer(reg: Any, accepted: bool) -> dict[str, Any] | None:
    with reg.lock:
        pending, reg._card_pending = getattr(reg, "_card_pending", None), None
    items = pending[1] if pending is not None and pending[0] is reg.sale else None
    if items is None:
        reg.error("no_card_pending", "no card payment is waiting for the terminal's answer")
        return None
    if not accepted:
        reg.core.publish("card_refused", sale=reg.sale_summary())
        return None
    return reg.pay(payments=items, confirmed=True)
