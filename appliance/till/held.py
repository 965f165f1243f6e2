"""Held orders: a sale parked to serve the next customer, taken back later, on this till.

`park(note)`: the sale on screen (lines and discount, no payment taken yet) goes to
`held.json` in the data folder, written whole and atomically (fsync'd) before
the screen is cleared and `sale_held` said; a till restarted finds its held orders
again. `orders()`: `held_orders`, each with its id, time, cashier, note, count and
total. `resume(held_id)`: the order comes back as the sale on screen (refused while
another sale is open there), `sale_resumed`. `discard(held_id)`: it is dropped.

Held orders are not sales: nothing of them goes to the outbox until they are paid.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from appliance.domain import Line, Sale, SaleError
from appliance.system.files import atomic_write

from .ports import Core

__all__ = ["FILE", "HeldOrders"]

log = logging.getLogger(__name__)

FILE = "held.json"
#: at most this many orders held on one till
MAX_HELD = 50


class HeldOrders:
    def __init__(
        self,
        core: Core,
        register: Any,
        data_dir: Path,
        *,
        lock: threading.RLock,
        now: Callable[[], datetime],
    ) -> None:
        self.core = core
        self.register = register
        self.path = Path(data_dir) / FILE
        self.lock = lock
        self.now = now
        self.held: dict[str, dict[str, Any]] = {}
        self._load()

    def run(self, action: str, **args: Any) -> Any:
        if action == "park":
            return self.park(str(args.get("note") or ""))
        if action == "list":
            return self.orders()
        if action == "resume":
            return self.resume(str(args.get("held_id") or ""))
        if action == "discard":
            return self.discard(str(args.get("held_id") or ""))
        self.core.error("bad_held_action", f"unknown held-order action {action!r}")
        return None

    # -- the file ----------------------------------------------------------------
    def _load(self) -> None:
        try:
            doc = orjson.loads(self.path.read_bytes())
            orders = [o for o in doc.get("held") or [] if isinstance(o, dict)]
            for order in orders:
                for ln in order["lines"]:
                    Line(**ln)  # each line must still make a line
                self.held[str(order["held_id"])] = order
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, SaleError, AttributeError) as e:
            damaged = self.path.with_suffix(".json.damaged")
            log.error("%s unreadable (%s): kept as %s", self.path, e, damaged.name)
            self.held.clear()
            self.path.replace(damaged)

    def _save(self, held: dict[str, dict[str, Any]]) -> None:
        atomic_write(self.path, orjson.dumps({"held": list(held.values())}))

    # -- actions -----------------------------------------------------------------
    def park(self, note: str = "") -> dict[str, Any] | None:
        reg = self.register
        if reg.cashier is None:
            self.core.error("not_logged_in", "log in first (cashier and PIN)")
            return None
        with self.lock:
            sale = reg.sale
            if not sale.lines:
                self.core.error("nothing_to_hold", "the ticket is empty: nothing to hold")
                return None
            if sale.payments:
                self.core.error(
                    "payment_started", "a payment was taken: finish this sale, it cannot be held"
                )
                return None
            if len(self.held) >= MAX_HELD:
                self.core.error("too_many_held", f"{MAX_HELD} orders are held already")
                return None
            order = {
                "held_id": str(uuid.uuid4()),
                "held_at": self.now().isoformat(),
                "cashier_id": reg.cashier["cashier_id"],
                "note": note[:80],
                "lines": [ln.as_dict() for ln in sale.lines],
                "sale_discount": sale.sale_discount,
                "total": sale.total,
                # eaten in (each line's rate), and the managers' approvals: kept with it
                "eat_in": sale.eat_in,
                "eat_in_vat": {str(k): v for k, v in sale.eat_in_vat.items()},
                "approvals": list(sale.approvals),
            }
            after = {**self.held, order["held_id"]: order}
            try:
                self._save(after)
            except OSError as e:
                self.core.error(
                    "held_not_saved", f"the order could NOT be held ({e.strerror}): it stays open"
                )
                return None
            self.held = after
            reg.sale = Sale()
            self.core.publish("sale_held", held=_summary(order), count=len(self.held))
            self.core.publish("sale_updated", sale=reg.sale_summary())
        return order

    def orders(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = [_summary(o) for o in sorted(self.held.values(), key=lambda o: o["held_at"])]
        self.core.publish("held_orders", orders=rows)
        return rows

    def resume(self, held_id: str) -> dict[str, Any] | None:
        reg = self.register
        if reg.cashier is None:
            self.core.error("not_logged_in", "log in first (cashier and PIN)")
            return None
        with self.lock:
            order = self.held.get(held_id)
            if order is None:
                self.core.error("unknown_held", f"no held order {held_id} on this till")
                return None
            if reg.sale.lines or reg.sale.payments:
                self.core.error("sale_open", "a sale is open on screen: pay it or hold it first")
                return None
            sale = Sale(lines=[Line(**ln) for ln in order["lines"]])
            if order.get("sale_discount"):
                sale.discount_sale(cents=int(order["sale_discount"]))
            rates = {int(k): int(v) for k, v in (order.get("eat_in_vat") or {}).items()}
            sale.set_eat_in(bool(order.get("eat_in")), rates)
            sale.approvals = list(order.get("approvals") or [])
            after = {k: v for k, v in self.held.items() if k != held_id}
            self._save(after)
            self.held = after
            reg.sale = sale
            self.core.publish("sale_resumed", held=_summary(order), count=len(self.held))
            self.core.publish("sale_updated", sale=reg.sale_summary())
        return order

    def discard(self, held_id: str) -> bool:
        with self.lock:
            if held_id not in self.held:
                self.core.error("unknown_held", f"no held order {held_id} on this till")
                return False
            after = {k: v for k, v in self.held.items() if k != held_id}
            self._save(after)
            self.held = after
        self.core.publish("held_discarded", held_id=held_id, count=len(after))
        return True


def _summary(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "held_id": order["held_id"],
        "held_at": order["held_at"],
        "cashier_id": order.get("cashier_id", ""),
        "note": order.get("note", ""),
        "count": sum(int(ln["quantity"]) for ln in order["lines"]),
        "total": int(order["total"]),
        "names": [str(ln.get("name", "")) for ln in order["lines"]][:4],
    }
