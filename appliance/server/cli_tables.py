"""`autonome server floor-plan`: the restaurant's rooms, tables and dish modifiers,
shown or set from a JSON file (checked whole: nothing is kept unless all of it is
right); the tills have them with their next snapshot. `autonome server tables`:
the open tables and the till that holds each.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cli_printing import _store

__all__ = ["HANDLERS", "add_parsers"]


def add_parsers(sub: Any, data_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    fp = sub.add_parser(
        "floor-plan", help="show the floor plan, or set it from a JSON file (--set FILE)"
    )
    data_arg(fp)
    fp.add_argument("--set", type=Path, metavar="FILE",
                    help='{"rooms": [...], "tables": [...], "modifiers": [...]}')  # fmt: skip
    fp.add_argument("--demo", action="store_true", help="set the demo restaurant's floor plan")
    ot = sub.add_parser("tables", help="the open tables and the till that holds each")
    data_arg(ot)
    ot.add_argument("--json", action="store_true")


def _floor_plan(a: argparse.Namespace) -> int:
    import orjson

    from appliance.domain.floorplan import TableError

    from .demo_tables import DEMO_FLOOR_PLAN
    from .tables import FLOOR_PLAN_KEY, set_floor_plan

    doc: Any = None
    if a.demo:
        doc = DEMO_FLOOR_PLAN
    elif a.set is not None:
        try:
            doc = json.loads(a.set.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            print(f"autonome server floor-plan: {a.set} is not JSON: {e}", file=sys.stderr)
            return 1
    store = _store(a.data)
    try:
        if doc is None:
            with store.read() as conn:
                text = store.get_meta(conn, FLOOR_PLAN_KEY)
            print(json.dumps(orjson.loads(text) if text else {}, ensure_ascii=False, indent=1))
            return 0
        try:
            kept = set_floor_plan(store, doc)
        except TableError as e:
            print(f"autonome server floor-plan: {e.message}; nothing was changed", file=sys.stderr)
            return 1
    finally:
        store.close()
    print(
        f"floor plan kept: {len(kept['rooms'])} room(s), {len(kept['tables'])} table(s), "
        f"{len(kept['modifiers'])} modifier(s); tills have it with their next snapshot "
        "(autonome snapshot build, or tonight)"
    )
    return 0


def _tables(a: argparse.Namespace) -> int:
    from .tables import TableHolds

    store = _store(a.data)
    try:
        rows = TableHolds(store).list()
    finally:
        store.close()
    if a.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print("no table is open")
    for r in rows:
        paying = f", being paid on till {r['paying']}" if r["paying"] else ""
        print(
            f"table {r['table_id']}: {r['covers']} cover(s), {r['total'] / 100:.2f}, "
            f"held by till {r['holder']}{paying}"
        )
    return 0


def demo_floor_plan(db_url: str) -> None:
    """The demo restaurant's floor plan in a store just made (`init --demo`)."""
    from .demo_tables import DEMO_FLOOR_PLAN
    from .storage import open_store
    from .tables import set_floor_plan

    store = open_store(db_url)
    try:
        set_floor_plan(store, DEMO_FLOOR_PLAN)
    finally:
        store.close()


def demo_till_rules(db_url: str) -> None:
    """The demo store's thresholds for a manager's PIN (`init --demo`)."""
    from .storage import open_store
    from .till_rules import DEMO_RULES, set_till_rules

    store = open_store(db_url)
    try:
        set_till_rules(store, DEMO_RULES)
    finally:
        store.close()


HANDLERS = {"floor-plan": _floor_plan, "tables": _tables}
