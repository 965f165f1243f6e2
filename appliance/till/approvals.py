"""A manager's approval at the till: the store's rules from the snapshot, the PIN
checked against the snapshot's hashes (in either mode), the approval journaled.

`Approver(core, journal, now).check(action, needed, manager, cashier_id, **what)`
answers (True, approval or None) when the edit may go on, or (False, None) once it
has said why not: `error manager_needed` (the screen asks for a manager's id and
PIN, then sends the command again with `manager`) or `error manager_refused`.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from appliance.domain import EventType, Sale
from appliance.domain import approval as rules
from appliance.domain.approval import Rules, RulesError, approval, manager_approves, rules_from

from .eventlog import EventLog
from .ports import Core

__all__ = [
    "Approver",
    "judge_line_discount",
    "judge_price",
    "judge_sale_discount",
    "judge_void",
]

log = logging.getLogger(__name__)

WHAT = {
    "discount": "give this discount",
    "price": "lower this price",
    "void": "void this line",
    "cancel": "cancel this sale",
}


class Approver:
    def __init__(self, core: Core, journal: EventLog, now: Callable[[], datetime]) -> None:
        self.core = core
        self.journal = journal
        self.now = now

    def rules(self) -> Rules:
        cat = self.core.catalogue
        try:
            return rules_from(getattr(cat, "rules", None) or None)
        except RulesError as e:  # a snapshot the till cannot use for this: ask nothing more
            log.warning("the snapshot's till rules: %s", e)
            return Rules()

    def judge(
        self, sale: Sale, change: Any, judge: Any, manager: Any, cashier_id: str
    ) -> tuple[bool, dict[str, Any] | None]:
        """Try `change` on a copy of `sale`; `judge(before, after, rules)` says
        (action, needed, what). None for `judge`: nothing to approve."""
        if judge is None:
            return True, None
        trial = copy.deepcopy(sale)
        change(trial)
        action, needed, what = judge(sale, trial, self.rules())
        return self.check(action, needed, manager, cashier_id, **what)

    def check(
        self, action: str, needed: bool, manager: Any, cashier_id: str, **what: Any
    ) -> tuple[bool, dict[str, Any] | None]:
        if not needed:
            return True, None
        if not isinstance(manager, dict) or not manager.get("manager_id"):
            self.core.error(
                "manager_needed",
                f"a manager's id and PIN are needed to {WHAT[action]}",
                action=action,
                **what,
            )
            return False, None
        manager_id, pin = str(manager.get("manager_id")), str(manager.get("pin") or "")
        cat = self.core.catalogue
        row = cat.cashier(manager_id) if cat is not None else None
        if not manager_approves(row, pin):
            self.core.error(
                "manager_refused",
                f"not a manager's id and PIN: nothing was changed ({WHAT[action]})",
                action=action,
            )
            return False, None
        given = approval(action, manager_id, cashier_id, self.now().isoformat(), **what)
        self.journal.record(EventType.MANAGER_APPROVED, **given)
        return True, given


# -- what each edit asks: (action, needed, what), the sale before and after it ---------
def judge_line_discount(i: int, before: Sale, after: Sale, r: rules.Rules):
    line = after.lines[i]
    base, amount = line.unit_price * line.quantity, line.discount
    what = {"line": line.name, "base": base, "amount": amount}
    return "discount", rules.discount_needs_approval(r, base, amount), what


def judge_sale_discount(before: Sale, after: Sale, r: rules.Rules):
    base, amount = after.lines_total, after.sale_discount
    what = {"line": None, "base": base, "amount": amount}
    return "discount", rules.discount_needs_approval(r, base, amount), what


def judge_price(i: int, before: Sale, after: Sale, r: rules.Rules):
    old, new = before.lines[i], after.lines[i]
    o, n = old.unit_price * old.quantity, new.unit_price * new.quantity
    what = {"line": new.name, "from": old.unit_price, "to": new.unit_price}
    return "price", rules.price_needs_approval(r, o, n), what


def judge_void(i: int, before: Sale, r: rules.Rules):
    line = before.lines[i]
    what = {"line": line.name, "amount": line.gross}
    return "void", rules.void_needs_approval(r, line.gross), what
