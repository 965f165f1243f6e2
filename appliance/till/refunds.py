"""The refund desk: a past sale found from its ticket, lines given back, the refund
record through the outbox like a sale.

`find(ticket)`: the ticket as typed or scanned (domain.refund.parse_ticket). Online
the server's journal answers (`GET /tickets/...`), with the refunds made of the sale
on any till; when the server does not hold it yet, or the till is autonomous, the
till's own outbox answers. Autonomous, a ticket of another till is refused by name
(`ticket_elsewhere`): its sale is on the server, out of reach. The answer:
`refund_found` with each line's sold, refunded and left quantities.

`refund(lines, method)`: `lines` {line index: quantity}; `method` "original" (the
card it was paid with, else cash), "cash" or "card". Never more than is left
(`refund_too_much`). Above the threshold (`Settings.refund_manager_above`, cents)
a manager approves: the cashier is one, or a manager's id and PIN come with it
(`manager_needed`, `manager_refused`). The record is appended to the outbox with
fsync (the next seq, the previous hash) before `refund_closed` is said; the
receipt printer prints its credit note (AVOIR).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from appliance.domain import SaleError
from appliance.domain.approval import MANAGER_ROLES, manager_approves
from appliance.domain.refund import close_refund, parse_ticket, refundable, ticket_reference

from .client import NotFound, Rejected, ServerError
from .modes import SERVER_MODES, Mode
from .outbox import Outbox, OutboxWriteError
from .ports import Api, Core, Lost

__all__ = ["RefundDesk"]

log = logging.getLogger(__name__)


class RefundDesk:
    def __init__(
        self,
        core: Core,
        api: Api,
        outbox: Outbox,
        *,
        till_id: int,
        cashier: Callable[[], dict[str, Any] | None],
        now: Callable[[], datetime],
        lock: threading.RLock,
        wake: threading.Event,
        threshold: Callable[[], int],
    ) -> None:
        self.core = core
        self.api = api
        self.outbox = outbox
        self.till_id = till_id
        self.cashier = cashier
        self.now = now
        self.lock = lock
        self.wake = wake
        self.threshold = threshold
        #: the sale found last: {"sale", "before", "source"}
        self.found: dict[str, Any] | None = None

    def run(self, action: str, **args: Any) -> dict[str, Any] | None:
        if action == "find":
            return self.find(args.get("ticket"))
        if action == "refund":
            return self.refund(
                args.get("lines") or {},
                args.get("method") or "original",
                manager=args.get("manager"),
                pin=args.get("pin"),
            )
        if action == "cancel":
            self.found = None
            self.core.publish("refund_cancelled")
            return None
        self.core.error("bad_refund_action", f"unknown refund action {action!r}")
        return None

    # -- finding -----------------------------------------------------------------
    def find(self, text: Any) -> dict[str, Any] | None:
        if self.cashier() is None:
            self.core.error("not_logged_in", "log in first (cashier and PIN)")
            return None
        try:
            ticket = parse_ticket(text, self.till_id)
        except SaleError as e:
            self.core.error(e.code, e.message, ticket=str(text or ""))
            return None
        try:
            found = self._from_server(ticket) if self.core.mode in SERVER_MODES else None
        except _Stop:
            return None
        source = "server"
        if found is None:
            source = "till"
            sale = (
                self.outbox.record(sale_id=ticket.sale_id)
                if ticket.sale_id
                else self.outbox.record(seq=ticket.seq)
                if ticket.till_id == self.till_id
                else None
            )
            if sale is None:
                return self._not_found(str(text).strip(), ticket.till_id)
            found = {"sale": sale, "refunds": []}
        sale = found["sale"]
        if sale.get("kind", "sale") != "sale":
            self.core.error(
                "not_a_sale", f"ticket {str(text).strip()} is a credit note, not a sale"
            )
            return None
        before = {r["sale_id"]: r for r in found.get("refunds") or []}
        for r in self.outbox.refunds_of(str(sale["sale_id"])):  # not on the server yet
            before.setdefault(r["sale_id"], r)
        self.found = {"sale": sale, "before": list(before.values()), "source": source}
        rows = refundable(sale, self.found["before"])
        return self.core.publish(
            "refund_found",
            ticket=ticket_reference(sale["till_id"], sale["seq"]),
            sale_id=sale["sale_id"],
            closed_at=sale["closed_at"],
            total=sale["total"],
            payments=sale.get("payments") or [],
            source=source,
            lines=rows,
            left=sum(r["left_amount"] for r in rows),
        )

    def _from_server(self, ticket: Any) -> dict[str, Any] | None:
        try:
            client = self.api()
            if ticket.sale_id:
                return client.ticket(sale_id=ticket.sale_id)
            return client.ticket(till_id=ticket.till_id, seq=ticket.seq)
        except NotFound:
            return None  # maybe one of this till's sales still on its way
        except Rejected as e:
            self.core.error(e.code, e.message)
            raise _Stop from None
        except ServerError as e:
            self.core.signal(Lost(e.message))
            return None

    def _not_found(self, text: str, till_id: int | None) -> None:
        online = self.core.mode in SERVER_MODES
        if online:
            self.core.error("unknown_ticket", f"no sale {text} in the store's journal", ticket=text)
        elif till_id is not None and till_id != self.till_id:
            self.core.error(
                "ticket_elsewhere",
                f"ticket {text} was made on till {till_id}: its sale is on the store server, "
                "out of reach in autonomous mode; refund it once the server is back",
                ticket=text,
            )
        else:
            self.core.error(
                "unknown_ticket_here",
                f"no sale {text} on this till; if it was made on another till, its sale is "
                "on the store server, out of reach in autonomous mode",
                ticket=text,
            )
        return None

    # -- refunding ---------------------------------------------------------------
    def refund(
        self, lines: Any, method: str, *, manager: Any = None, pin: Any = None
    ) -> dict[str, Any] | None:
        cashier = self.cashier()
        if cashier is None:
            self.core.error("not_logged_in", "log in first (cashier and PIN)")
            return None
        found = self.found
        if found is None:
            self.core.error("no_ticket", "find the sale first: its ticket number or code")
            return None
        try:
            picks = {int(k): v for k, v in dict(lines).items()}
        except (TypeError, ValueError):
            self.core.error("bad_quantity", "lines to refund are {line: quantity}")
            return None
        with self.lock:
            box = self.outbox
            cat = self.core.catalogue
            args = dict(
                refund_id=str(uuid.uuid4()),
                till_id=self.till_id,
                cashier_id=cashier["cashier_id"],
                mode="autonomous" if self.core.mode is Mode.AUTONOMOUS else "online",
                snapshot_version=cat.version if cat else None,
                method=method,
                **box.next_place(self.now()),
            )
            try:
                record = close_refund(found["sale"], picks, found["before"], **args)
                approver = self._approval(record["total"], cashier, manager, pin)
                if approver is None:
                    return None
                if approver:
                    record = close_refund(
                        found["sale"], picks, found["before"], **args, approved_by=approver
                    )
            except SaleError as e:
                self.core.error(e.code, e.message)
                return None
            try:
                box.append(record)
            except OutboxWriteError as e:
                why = e.why
                self.core.error(
                    "outbox_write_failed",
                    f"{why}: the refund is NOT recorded; nothing was given back yet",
                )
                return None
            found["before"].append(record)
        self.core.publish(
            "refund_closed",
            record=record,
            sale_id=record["sale_id"],
            seq=record["seq"],
            total=record["total"],
            method=record["payments"][0]["method"] if record["payments"] else None,
            refund_of=record["refund_of"],
            ticket=ticket_reference(record["original"]["till_id"], record["original"]["seq"]),
            mode=record["mode"],
        )
        self.wake.set()
        return record

    def _approval(self, total: int, cashier: dict[str, Any], manager: Any, pin: Any) -> str | None:
        """ "" when no approval is needed, the approving manager's id, or None (refused,
        said)."""
        if total <= self.threshold():
            return ""
        cat = self.core.catalogue
        own = cat.cashier(cashier["cashier_id"]) if cat is not None else None
        if str((own or {}).get("role") or "") in MANAGER_ROLES:
            return str(cashier["cashier_id"])
        if not manager or not pin:
            self.core.error(
                "manager_needed",
                f"a refund above {self.threshold() / 100:.2f} needs a manager's PIN",
                total=total,
            )
            return None
        row = cat.cashier(str(manager)) if cat is not None else None
        if not manager_approves(row, str(pin)):
            self.core.error("manager_refused", "not a manager, or a wrong PIN", total=total)
            return None
        return str(manager)


class _Stop(Exception):
    """The server refused the lookup (said already)."""
