"""Refund records at the server's door (real SQLite): stored once however often they
are sent, in the till's chain and seqs; checked against the sale and the refunds
stored before it, in the same upload too; an over-refund or a refund of an unknown
sale kept in the quarantine, its seq held; the ticket lookup a till makes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from appliance.domain.refund import close_refund
from appliance.server.enrolment import create_code, enrol
from appliance.server.ingest import ingest_batch
from appliance.server.journal import quarantine_list
from appliance.server.refunds import find_ticket
from appliance.server.reports import x_report
from appliance.server.samples import SaleMaker
from appliance.server.storage import open_store

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "server.db")
    yield s
    s.close()


def _till(store, name: str) -> int:
    return enrol(store, create_code(store, name), name)[0]


def _refund(sale: dict, picks: dict, after: dict, before=(), *, till_id: int, rid: str) -> dict:
    return close_refund(
        sale, picks, before, refund_id=rid, till_id=till_id, seq=after["seq"] + 1,
        prev_hash=after["hash"], closed_at=datetime.fromisoformat(after["closed_at"]),
        cashier_id="c1", mode="autonomous", snapshot_version=1,
    )  # fmt: skip


def test_a_refund_is_stored_once_and_checked_in_the_same_upload(store):
    a = _till(store, "A")
    sale = SaleMaker(a).sale(lines=[("A1", "Baguette", 110, 3, 550)], payments=[("cash", 330)])
    first = _refund(sale, {0: 2}, sale, till_id=a, rid="r-1")
    over = _refund(sale, {0: 2}, first, till_id=a, rid="r-2")  # made without knowing r-1
    outcomes, contiguous = ingest_batch(store, a, [sale, first, over])
    assert [o.status for o in outcomes] == ["stored", "stored", "quarantined"]
    assert outcomes[2].reason == "over_refund" and contiguous == 3  # its seq is held
    again, _ = ingest_batch(store, a, [sale, first, over])  # the upload sent twice
    assert [o.status for o in again] == ["duplicate", "duplicate", "quarantined"]
    kept = quarantine_list(store)
    assert [(q["reason"], q["sale_id"], q["seq"]) for q in kept] == [("over_refund", "r-2", 3)]
    assert "1 (110 c) were left" in kept[0]["message"]
    found = find_ticket(store, till_id=a, seq=1)
    assert found["sale"]["sale_id"] == sale["sale_id"]
    assert [r["sale_id"] for r in found["refunds"]] == ["r-1"]
    assert find_ticket(store, sale_id=sale["sale_id"])["refunds"] == found["refunds"]
    assert find_ticket(store, till_id=a, seq=99) is None
    day = datetime.fromisoformat(sale["closed_at"]).astimezone().date().isoformat()
    x = x_report(store, day)
    assert x["refunds"]["count"] == 1 and x["refunds"]["total"] == 220
    assert x["net_total"] == 330 - 220


def test_a_refund_of_another_tills_sale_and_of_an_unknown_sale(store):
    a, b = _till(store, "A"), _till(store, "B")
    sale = SaleMaker(a).sale(lines=[("A1", "Tarte", 1000, 1, 550)], payments=[("card", 1000)])
    ingest_batch(store, a, [sale])
    b_first = SaleMaker(b).sale()
    back = _refund(sale, {0: 1}, b_first, till_id=b, rid="r-b")
    ghost = _refund({**sale, "sale_id": "nowhere"}, {0: 1}, back, till_id=b, rid="r-ghost")
    outcomes, contiguous = ingest_batch(store, b, [b_first, back, ghost])
    assert [o.status for o in outcomes] == ["stored", "stored", "quarantined"]
    assert outcomes[2].reason == "refund_of_unknown" and contiguous == 3
    assert [r["till_id"] for r in find_ticket(store, till_id=a, seq=1)["refunds"]] == [b]
