"""Sales made alone, written straight into a till's outbox: the day a till spent
without its server, for the upload tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from appliance.domain import Line, Payment, Sale, close_sale

__all__ = ["append_autonomous_sales"]

#: when the first sale of an empty outbox was made
DAY_START = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def append_autonomous_sales(
    box: Any, till_id: int, n: int, *, step: timedelta = timedelta(milliseconds=1)
) -> None:
    """n more autonomous sales (card-paid baguettes) appended to the outbox `box`,
    chained to its last one, `step` apart after it (or from 08:00 on an empty one).
    Their ids are `00000000-0000-4000-8000-<i>`, i from 0."""
    last = box.last_closed_at
    start = datetime.fromisoformat(last) + step if last else DAY_START
    for i in range(n):
        sale = Sale()
        sale.add_line(Line("A001", "Baguette", 110, 1 + i % 3, 550, "pains"))
        sale.add_payment(Payment("card", sale.total))
        box.append(
            close_sale(
                sale,
                sale_id=f"00000000-0000-4000-8000-{i:012d}",
                till_id=till_id,
                seq=box.last_seq + 1,
                prev_hash=box.last_hash,
                closed_at=start + step * i,
                cashier_id="c1",
                mode="autonomous",
                snapshot_version=1,
            )
        )
