"""The cash desk: the opening float, cash in and out with a reason, the count of the
drawer at close; each a record through the outbox like a sale.

A cash movement is money in the drawer, as a sale or a refund is: it goes where
they go (the outbox, fsync'd before it is said; the next seq, the previous hash;
sent to the server once, as they are), so the chain, the upload and the server's
reports hold it with them. The events journal is for what happened around sales.

`run(action, ...)`: `float` (`amount`), `in` / `out` (`amount`, `reason`), `count`
(`counted` {denomination in cents: pieces}), `expected` (what the drawer should
hold now). Cash out and the count are a manager's: the cashier is one (their role
in the snapshot), or a manager's id and PIN come with it (`manager_needed`,
`manager_refused`). A count with letters or negative numbers: `bad_count`, nothing
recorded. Said: `cash_recorded` (`record`, `expected`), `cash_expected`.
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
from appliance.domain.cash import ACTIONS, MANAGER_ACTIONS, close_cash

from .modes import Mode
from .outbox import Outbox, OutboxWriteError
from .ports import Core

__all__ = ["CashDesk"]

log = logging.getLogger(__name__)


class CashDesk:
    def __init__(
        self,
        core: Core,
        outbox: Outbox,
        *,
        till_id: int,
        cashier: Callable[[], dict[str, Any] | None],
        report: Callable[[], dict[str, Any]],
        now: Callable[[], datetime],
        lock: threading.RLock,
        wake: threading.Event,
    ) -> None:
        self.core = core
        self.outbox = outbox
        self.till_id = till_id
        self.cashier = cashier
        self.report = report
        self.now = now
        self.lock = lock
        self.wake = wake

    def run(self, action: str, **args: Any) -> dict[str, Any] | None:
        if action == "expected":
            return self.expected()
        if action not in ACTIONS:
            self.core.error("bad_cash_action", f"unknown cash action {action!r}")
            return None
        return self.record(action, **args)

    def expected(self) -> dict[str, Any] | None:
        if self.cashier() is None:
            self.core.error("not_logged_in", "log in first (cashier and PIN)")
            return None
        return self.core.publish("cash_expected", **_figures(self.report()))

    def record(
        self,
        action: str,
        *,
        amount: Any = None,
        reason: Any = "",
        counted: Any = None,
        manager: Any = None,
        pin: Any = None,
    ) -> dict[str, Any] | None:
        cashier = self.cashier()
        if cashier is None:
            self.core.error("not_logged_in", "log in first (cashier and PIN)")
            return None
        approver: str | None = None
        if action in MANAGER_ACTIONS:
            approver = self._manager(action, cashier, manager, pin)
            if approver is None:
                return None
        with self.lock:
            box = self.outbox
            expected = self.report()["expected_cash"] if action == "count" else None
            cat = self.core.catalogue
            try:
                record = close_cash(
                    action,
                    record_id=str(uuid.uuid4()),
                    till_id=self.till_id,
                    cashier_id=cashier["cashier_id"],
                    mode="autonomous" if self.core.mode is Mode.AUTONOMOUS else "online",
                    snapshot_version=cat.version if cat else None,
                    amount=amount,
                    reason=str(reason or ""),
                    counted=counted,
                    expected=expected,
                    approved_by=approver,
                    **box.next_place(self.now()),
                )
            except SaleError as e:
                self.core.error(e.code, e.message, action=action)
                return None
            try:
                box.append(record)
            except OutboxWriteError as e:
                why = e.why
                self.core.error("outbox_write_failed", f"{why}: the cash {action} is NOT recorded")
                return None
        self.core.publish(
            "cash_recorded",
            record=record,
            action=action,
            seq=record["seq"],
            **_figures(self.report()),
        )
        self.wake.set()
        return record

    def _manager(self, action: str, cashier: dict[str, Any], manager: Any, pin: Any) -> str | None:
        """The approving manager's id: the cashier when a manager, else `manager` with
        the right `pin`; None (refused, said)."""
        cat = self.core.catalogue
        own = cat.cashier(cashier["cashier_id"]) if cat is not None else None
        if str((own or {}).get("role") or "") in MANAGER_ROLES:
            return str(cashier["cashier_id"])
        if not manager or not pin:
            what = "taking cash out" if action == "out" else "counting the drawer"
            self.core.error("manager_needed", f"{what} needs a manager's PIN", action=action)
            return None
        row = cat.cashier(str(manager)) if cat is not None else None
        if not manager_approves(row, str(pin)):
            self.core.error("manager_refused", "not a manager, or a wrong PIN", action=action)
            return None
        return str(manager)


def _figures(report: dict[str, Any]) -> dict[str, Any]:
    keys = ("float", "cash_in", "cash_out", "expected_cash", "counted_cash", "cash_difference")
    return {k: report[k] for k in keys}
