"""The campaign's judge: what the cashiers were told (the ledger) against the
server's journal, counted into a tally."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from appliance.domain import verify_chain

__all__ = ["Ledger", "Tally", "judge", "local_day"]


# -- what the cashiers were told ------------------------------------------------------------
@dataclass
class Ledger:
    """Per till: the sales the till acknowledged (sale_closed), by seq, and the
    seqs in doubt (the till was killed between the payment and its answer)."""

    acked: dict[int, dict[str, Any]] = field(default_factory=dict)
    in_doubt: set[int] = field(default_factory=set)


@dataclass
class Tally:
    scenarios: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    #: faults that may not bite (a crash point no sale reached, an upload too quick
    #: to be cut): how many times they did
    bit: Counter[str] = field(default_factory=Counter)
    acknowledged: int = 0
    in_journal: int = 0
    lost: int = 0
    duplicated: int = 0
    chain_errors: int = 0
    total_errors: int = 0
    false_gaps: int = 0
    stuck: int = 0
    recorded_in_doubt: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        bad = self.lost + self.duplicated + self.chain_errors + self.total_errors
        return bad + self.false_gaps + self.stuck == 0

    def line(self) -> str:
        return (
            f"campaign: {self.scenarios} scenarios, {self.acknowledged} acknowledged, "
            f"{self.in_journal} in journal, {self.lost} lost, {self.duplicated} duplicated, "
            f"{self.chain_errors} chain errors"
        )


def judge(
    t: Tally,
    who: str,
    ledger: Ledger,
    sales: list[dict[str, Any]],
    integrity: list[dict[str, Any]],
    gaps: list[dict[str, Any]],
) -> int:
    """Count into `t` what is wrong with one settled till's journal (`sales`, the
    server's integrity events and pending gaps of that till) against what the
    till acknowledged; the sum of its receipts."""
    by_seq = {s["seq"]: s for s in sales}
    t.acknowledged += len(ledger.acked)
    t.in_journal += len(sales)
    for counts in (Counter(s["sale_id"] for s in sales), Counter(s["seq"] for s in sales)):
        for key, n in counts.items():
            if n > 1:
                t.duplicated += n - 1
                t.failures.append(f"{who}: {key} is {n} times in the journal")
    for seq, ack in sorted(ledger.acked.items()):
        got = by_seq.get(seq)
        if got is None or [got[k] for k in ("sale_id", "hash", "total")] != [
            ack[k] for k in ("sale_id", "hash", "total")
        ]:
            t.lost += 1
            t.failures.append(f"{who}: sale {seq} acknowledged, not in the journal as such")
    extra = set(by_seq) - set(ledger.acked)
    for seq in sorted(extra):
        if seq in ledger.in_doubt:
            t.recorded_in_doubt += 1  # paid, then the till died before it said so
        else:
            t.duplicated += 1
            t.failures.append(f"{who}: sale {seq} in the journal, never made")
    breaks = verify_chain(sales)
    t.chain_errors += len(breaks) + len(integrity)
    if breaks or integrity:
        t.failures.append(f"{who}: chain breaks {breaks}, integrity events {integrity}")
    if gaps:  # the till is settled: nothing is really pending
        t.false_gaps += 1
        t.failures.append(f"{who}: reported pending while nothing is: {gaps}")
    receipts = sum(a["total"] for a in ledger.acked.values())
    return receipts + sum(by_seq[q]["total"] for q in extra & ledger.in_doubt)


def local_day(closed_at: str) -> str:
    """The business day of a sale, as the server counts it (its local date)."""
    return datetime.fromisoformat(closed_at).astimezone().date().isoformat()
