"""Pending sales of each till: ranges and the text the back office shows."""

from __future__ import annotations

import pytest

from appliance.server.enrolment import create_code, enrol, record_contact
from appliance.server.gaps import missing_ranges, pending, pending_text
from appliance.server.ingest import ingest_batch
from appliance.server.samples import SaleMaker
from appliance.server.storage import open_store


def test_missing_ranges():
    assert missing_ranges([1, 2, 3], 0, 3) == []
    assert missing_ranges([1, 2, 5, 9], 0, 10) == [(3, 4), (6, 8), (10, 10)]
    assert missing_ranges([], 0, 3) == [(1, 3)]
    assert missing_ranges([4, 5], 2, 5) == [(3, 3)]
    assert missing_ranges([1, 2, 7], 0, 2) == []


def test_pending_text():
    assert pending_text(2, [(118, 140)]) == "till 2: sales 118-140 pending"
    assert pending_text(2, [(118, 118)]) == "till 2: sale 118 pending"
    assert pending_text(3, [(4, 6), (9, 9)]) == "till 3: sales 4-6, 9 pending"


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "server.db")
    yield s
    s.close()


def test_pending_from_received_sales_and_the_last_seq_a_till_reported(store):
    t1, _ = enrol(store, create_code(store), "caisse 1")
    t2, _ = enrol(store, create_code(store), "caisse 2")
    recs = SaleMaker(t1).many(8)
    ingest_batch(store, t1, [recs[0], recs[1], recs[2], recs[6]])
    ingest_batch(store, t2, SaleMaker(t2).many(2))
    assert pending(store) == [
        {"till_id": t1, "name": "caisse 1", "ranges": [[4, 6]],
         "text": f"till {t1}: sales 4-6 pending"},
    ]  # fmt: skip
    record_contact(store, t1, 9)  # the till says it has closed up to 9
    record_contact(store, t1, 5)  # an older report never lowers it
    assert pending(store)[0]["ranges"] == [[4, 6], [8, 9]]
    ingest_batch(store, t1, recs[3:6] + [recs[7]])
    assert pending(store)[0]["text"] == f"till {t1}: sale 9 pending"
    record_contact(store, t2, 3)
    assert [p["text"] for p in pending(store)] == [
        f"till {t1}: sale 9 pending",
        f"till {t2}: sale 3 pending",
    ]


def test_the_contiguous_seq_is_walked_a_window_at_a_time(store, monkeypatch):
    import appliance.server.gaps as gaps

    monkeypatch.setattr(gaps, "WALK", 3)
    t1, _ = enrol(store, create_code(store), "caisse 1")
    recs = SaleMaker(t1).many(12)
    ingest_batch(store, t1, recs[:7] + recs[8:], contiguous=False)
    with store.read() as conn:
        assert gaps.contiguous_from(conn, t1, 0) == 7  # across two full windows, then a gap
        assert gaps.contiguous_from(conn, t1, 7) == 7
    ingest_batch(store, t1, [recs[7]], contiguous=False)
    with store.read() as conn:
        assert gaps.contiguous_from(conn, t1, 7) == 12
        assert gaps.contiguous_from(conn, t1, 0) == 12
