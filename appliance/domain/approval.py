"""A manager's approval: which edits of a sale need one, and who may give it.

The store sets its thresholds (`Rules`, the snapshot's `meta.rules`, edited in
the back office). An edit above a threshold needs a manager's PIN, checked
offline against the snapshot's PBKDF2 hashes as a login is. Each approval
given says who approved what (`approval`), for the sale's record and the
journal. A threshold left out (None) never asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from .cashier import verify_pin

__all__ = [
    "ACTIONS",
    "Rules",
    "RulesError",
    "approval",
    "discount_needs_approval",
    "find_manager",
    "manager_approves",
    "price_needs_approval",
    "rules_from",
    "void_needs_approval",
    "cancel_needs_approval",
]

#: what a manager may be asked to approve
ACTIONS = ("discount", "price", "void", "cancel")
MANAGER_ROLES = ("manager", "admin")


class RulesError(ValueError):
    """A store setting that cannot be used: names it and says why."""


@dataclass(frozen=True)
class Rules:
    #: a discount above this percentage of what it reduces needs a manager
    discount_percent: int | None = None
    #: a discount above this amount (cents) needs a manager
    discount_cents: int | None = None
    #: a typed price that lowers a line by more than this (cents) needs a manager
    price_cut_cents: int | None = None
    #: voiding a line worth more than this (cents) needs a manager
    void_cents: int | None = None
    #: cancelling a sale worth more than this (cents) needs a manager; a sale with a
    #: payment taken always does
    cancel_cents: int | None = None
    #: wrong PINs in a row at the till before it waits
    pin_tries: int = 5
    #: the first wait after `pin_tries` wrong PINs (seconds); it doubles each time
    pin_lock_s: int = 30
    #: the cashier types only the PIN: the till finds who it is
    pin_only_login: bool = False
    #: a card payment waits for the cashier to say what the terminal answered
    card_confirmation: bool = False
    #: the VAT of a line eaten in, by the article's own rate (taken away): {550: 1000},
    #: food at 5.5 % taken away is at 10 % eaten in; a rate left out is the same both ways
    eat_in_vat: dict[int, int] | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.eat_in_vat is not None:  # JSON's keys are texts
            out["eat_in_vat"] = {str(k): v for k, v in sorted(self.eat_in_vat.items())}
        return out


_BOOLS = ("pin_only_login", "card_confirmation")
_LIMITS = {"pin_tries": (1, 100), "pin_lock_s": (1, 86_400), "discount_percent": (0, 100)}


def rules_from(raw: Any) -> Rules:
    """Rules from the snapshot's or the back office's mapping (missing keys take their
    defaults; an unknown key or a wrong value is a `RulesError` naming it)."""
    if raw is None:
        return Rules()
    if not isinstance(raw, Mapping):
        raise RulesError("the store's till rules are an object of settings")
    known = {f.name for f in fields(Rules)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise RulesError(f"unknown till setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "eat_in_vat":
            clean[key] = _rates(value)
            continue
        if key in _BOOLS:
            if not isinstance(value, bool):
                raise RulesError(f"{key}: true or false, not {value!r}")
            clean[key] = value
            continue
        if value is None and key not in ("pin_tries", "pin_lock_s"):
            clean[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise RulesError(f"{key}: a whole number, not {value!r}")
        low, high = _LIMITS.get(key, (0, 10**9))
        if not low <= value <= high:
            raise RulesError(f"{key}: between {low} and {high}, not {value}")
        clean[key] = value
    return Rules(**clean)


def _rates(value: Any) -> dict[int, int] | None:
    """{take-away rate (the article's): eat-in rate}, both in basis points (1000 is 10 %)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise RulesError('eat_in_vat: an object of rates, like {"550": 1000}')
    out: dict[int, int] = {}
    for k, v in value.items():
        try:
            bp = int(k)
        except (TypeError, ValueError):
            raise RulesError(f"eat_in_vat: {k!r} is not a rate in basis points") from None
        ok = isinstance(v, int) and not isinstance(v, bool)
        if not (0 <= bp <= 10_000 and ok and 0 <= v <= 10_000):
            raise RulesError(f"eat_in_vat: {k}: {v!r} is not a rate from 0 to 10000")
        out[bp] = v
    return out


def discount_needs_approval(rules: Rules, base: int, amount: int) -> bool:
    """A discount of `amount` cents on `base` cents (a line's or the sale's total)."""
    if amount <= 0:
        return False
    if rules.discount_cents is not None and amount > rules.discount_cents:
        return True
    if rules.discount_percent is not None:
        return base <= 0 or amount * 100 > rules.discount_percent * base
    return False


def price_needs_approval(rules: Rules, old_total: int, new_total: int) -> bool:
    """A line's total before and after a typed price (raising it never asks)."""
    cut = old_total - new_total
    return rules.price_cut_cents is not None and cut > rules.price_cut_cents


def void_needs_approval(rules: Rules, line_total: int) -> bool:
    return rules.void_cents is not None and line_total > rules.void_cents


def cancel_needs_approval(rules: Rules, sale_total: int, paid: int) -> bool:
    if paid > 0:
        return True
    return rules.cancel_cents is not None and sale_total > rules.cancel_cents


def find_manager(cashiers: Mapping[str, Mapping[str, Any]], pin: str) -> str | None:
    """The id of the manager whose PIN this is (checked against the stored hashes),
    or None. A cashier's PIN approves nothing."""
    for cid, row in sorted(cashiers.items()):
        if str(row.get("role") or "") not in MANAGER_ROLES:
            continue
        stored = str(row.get("pin_hash") or "")
        if stored and verify_pin(str(pin), stored):
            return str(cid)
    return None


def manager_approves(row: Mapping[str, Any] | None, pin: str) -> bool:
    """True when `row` (a cashier of the snapshot) is a manager and `pin` is theirs."""
    if not row or str(row.get("role") or "") not in MANAGER_ROLES:
        return False
    stored = str(row.get("pin_hash") or "")
    return bool(stored) and verify_pin(str(pin), stored)


def approval(action: str, manager_id: str, cashier_id: str, at: str, **what: Any) -> dict:
    """Who approved what, when: kept in the sale's record and in the journal."""
    if action not in ACTIONS:
        raise RulesError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    return {"action": action, "manager_id": manager_id, "cashier_id": cashier_id, "at": at, **what}
