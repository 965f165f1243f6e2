"""Sale records made with the domain, for tests, benchmarks and demos of the server.

`SaleMaker` rings up sales the way a till would (lines, discounts,
payments, `close_sale`) and chains them, so the server sees real records.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from appliance.domain import GENESIS, Line, Payment, Sale, close_sale

__all__ = ["SaleMaker"]

_ITEMS: list[tuple[str, str, int, int, str]] = [
    ("A001", "Baguette", 110, 550, "pains"),
    ("A026", "Croissant", 110, 550, "viennoiseries"),
    ("A028", "Pain au chocolat", 120, 550, "viennoiseries"),
    ("A051", "Éclair au chocolat", 320, 550, "patisseries"),
    ("A104", "Formule déjeuner", 990, 1000, "cuisine"),
    ("A114", "Expresso", 150, 1000, "boissons-chaudes"),
    ("A117", "Café crème", 280, 1000, "boissons-chaudes"),
    ("A144", "Verre de vin rouge", 450, 2000, "alcools"),
]


class SaleMaker:
    """Closed, chained sale records of one till."""

    def __init__(
        self,
        till_id: int,
        *,
        seed: int = 0,
        start_seq: int = 1,
        prev_hash: str = GENESIS,
        start: datetime | None = None,
        mode: str = "online",
    ) -> None:
        self.till_id = till_id
        self.rng = random.Random(f"{till_id}:{seed}:{start_seq}")  # ids differ between tills
        self.seq = start_seq
        self.prev_hash = prev_hash
        self.clock = start or datetime.now(UTC).replace(microsecond=0)
        self.mode = mode

    def sale(
        self,
        lines: Sequence[tuple[str, str, int, int, int]] | None = None,
        payments: Sequence[tuple[str, int]] | None = None,
        *,
        sale_discount: int = 0,
        closed_at: datetime | None = None,
        chain: bool = True,
    ) -> dict[str, Any]:
        """One record. `lines`: (article_id, name, unit_price, quantity, vat_bp);
        `payments`: (method, amount); by default random lines paid in cash."""
        sale = Sale()
        if lines is None:
            for _ in range(self.rng.randint(1, 4)):
                aid, name, price, bp, cat = self.rng.choice(_ITEMS)
                sale.add_line(Line(aid, name, price, self.rng.randint(1, 3), bp, cat))
        else:
            for aid, name, price, qty, bp in lines:
                sale.add_line(Line(aid, name, price, qty, bp))
        if sale_discount:
            sale.discount_sale(cents=sale_discount)
        for method, amount in payments or [("cash", -(-sale.total // 500) * 500 or 500)]:
            sale.add_payment(Payment(method, amount))
        self.clock = closed_at or self.clock + timedelta(seconds=self.rng.randint(20, 120))
        record = close_sale(
            sale,
            sale_id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            till_id=self.till_id,
            seq=self.seq,
            prev_hash=self.prev_hash,
            closed_at=self.clock,
            cashier_id="c1",
            mode=self.mode,
            snapshot_version=1,
        )
        if chain:
            self.seq += 1
            self.prev_hash = record["hash"]
        return record

    def many(self, n: int) -> list[dict[str, Any]]:
        return [self.sale() for _ in range(n)]
