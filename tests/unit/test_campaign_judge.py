"""The campaign's judge finds what it is there to find: a lost sale, a sale twice,
a broken chain, a gap reported while nothing is pending. Run on real chained
records, so a judge that always says "fine" fails here."""

from __future__ import annotations

import copy

from appliance.server.samples import SaleMaker
from testbed.campaign import Ledger, Tally, judge


def _acked(records: list[dict]) -> Ledger:
    ledger = Ledger()
    for r in records:
        ledger.acked[r["seq"]] = {k: r[k] for k in ("sale_id", "seq", "hash", "total")}
    return ledger


def _judge(ledger: Ledger, sales: list[dict], integrity=(), gaps=()) -> tuple[Tally, int]:
    t = Tally()
    receipts = judge(t, "till 1", ledger, sales, list(integrity), list(gaps))
    return t, receipts


def test_a_complete_journal_is_judged_complete():
    records = SaleMaker(till_id=1).many(5)
    t, receipts = _judge(_acked(records), records)
    assert (t.lost, t.duplicated, t.chain_errors, t.false_gaps) == (0, 0, 0, 0)
    assert (t.acknowledged, t.in_journal) == (5, 5)
    assert receipts == sum(r["total"] for r in records)


def test_a_missing_sale_is_lost():
    records = SaleMaker(till_id=1).many(5)
    t, _ = _judge(_acked(records), records[:2] + records[3:])
    assert t.lost == 1 and "sale 3" in t.failures[0]


def test_a_sale_twice_is_duplicated():
    records = SaleMaker(till_id=1).many(3)
    t, _ = _judge(_acked(records), [*records, records[1]])
    assert t.duplicated >= 1


def test_a_sale_never_acknowledged_is_counted_unless_in_doubt():
    records = SaleMaker(till_id=1).many(3)
    ledger = _acked(records[:2])
    t, _ = _judge(ledger, records)
    assert t.duplicated == 1
    ledger.in_doubt.add(3)
    t, receipts = _judge(ledger, records)
    assert (t.duplicated, t.recorded_in_doubt) == (0, 1)
    assert receipts == sum(r["total"] for r in records)


def test_an_altered_sale_breaks_the_chain_and_does_not_match_its_receipt():
    records = SaleMaker(till_id=1).many(3)
    altered = copy.deepcopy(records)
    altered[1]["total"] += 100
    t, _ = _judge(_acked(records), altered)
    assert t.chain_errors >= 1 and t.lost == 1


def test_integrity_events_and_gaps_while_settled_are_counted():
    records = SaleMaker(till_id=1).many(2)
    t, _ = _judge(_acked(records), records, integrity=[{"till_id": 1}], gaps=[{"till_id": 1}])
    assert (t.chain_errors, t.false_gaps) == (1, 1)
