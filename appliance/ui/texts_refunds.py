"""The cashier's words for refunds: the refusals (an `error` event's code). No Kivy here."""

from __future__ import annotations

from typing import Any

from .i18n import _, money

__all__ = ["refund_text"]


def refund_text(code: str, event: dict[str, Any]) -> str | None:
    """The cashier's words for a refund's refusal (None: not a refund's)."""
    ticket = str(event.get("ticket") or "")
    texts = {
        "bad_ticket": _("{ticket} is not a ticket number (118, or 2,118 for till 2)."),
        "unknown_ticket": _("No sale {ticket} in the store's journal."),
        "unknown_ticket_here": _(
            "No sale {ticket} on this till. If it was made on another till, it can be "
            "refunded once the store server is back."
        ),
        "ticket_elsewhere": _(
            "Ticket {ticket} was made on another till: its sale is on the store server, "
            "out of reach in autonomous mode. Refund it once the server is back."
        ),
        "not_a_sale": _("This ticket is a credit note, not a sale."),
        "refund_nothing": _("Choose at least one line to refund."),
        "refund_too_much": _("More than was sold, or already refunded: nothing was refunded."),
        "refund_card_over": _("The card cannot get back more than it paid: refund in cash."),
        "no_ticket": _("Find the sale first: its ticket number."),
        "manager_needed": _("A refund of {amount} needs a manager's PIN."),
        "manager_refused": _("Not a manager, or a wrong PIN: nothing was refunded."),
        "bad_refund_method": _("A refund goes back in cash or to the card."),
    }
    text = texts.get(code)
    if text is None:
        return None
    return text.format(ticket=ticket, amount=money(int(event.get("total") or 0)))
