"""The store's till rules (`domain.approval.Rules`): what needs a manager's PIN, the
wrong-PIN lockout, PIN-only login, the card confirmation step.

Kept in the store's meta under `till_rules`, checked by `domain.approval.rules_from`
when written; the next snapshot's meta carries them as `rules`.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection

from appliance.domain.approval import Rules, rules_from

from .storage import Store

__all__ = ["DEMO_RULES", "RULES_KEY", "get_till_rules", "rules_meta", "set_till_rules"]

RULES_KEY = "till_rules"

#: the demo store's thresholds: above 20 % or 10.00 of discount, a price cut of more than
#: 2.00, a void of a line above 10.00, a cancel of a sale above 20.00 (or any with a
#: payment taken), a manager is asked; a line at 5.5 % taken away is at 10 % eaten in
DEMO_RULES: dict[str, Any] = {
    "discount_percent": 20,
    "discount_cents": 1000,
    "price_cut_cents": 200,
    "void_cents": 1000,
    "cancel_cents": 2000,
    # France: food and soft drinks at 5.5 % taken away are at 10 % eaten in
    "eat_in_vat": {"550": 1000},
}


def rules_meta(store: Store, conn: Connection) -> dict[str, Any]:
    """The rules a snapshot's meta carries (every setting, defaults filled in)."""
    text = store.get_meta(conn, RULES_KEY)
    try:
        return rules_from(orjson.loads(text) if text else None).as_dict()
    except (ValueError, orjson.JSONDecodeError):  # written by hand in the database
        return Rules().as_dict()


def get_till_rules(store: Store) -> dict[str, Any]:
    with store.read() as conn:
        return rules_meta(store, conn)


def set_till_rules(store: Store, doc: Any, *, replace: bool = False) -> dict[str, Any]:
    """Change the settings `doc` names (the others stay; all of them with `replace`).
    Raises `RulesError` naming a setting that cannot be used."""
    with store.write() as conn:
        current = {} if replace else rules_meta(store, conn)
        if not isinstance(doc, dict):
            rules_from(doc)  # says what it must be
        rules = rules_from({**current, **doc})
        store.set_meta(conn, RULES_KEY, orjson.dumps(rules.as_dict()).decode())
    return rules.as_dict()
