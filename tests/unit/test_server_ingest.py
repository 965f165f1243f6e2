"""Sales ingestion against a real SQLite file: stored once, conflicts and bad
records kept aside, chain breaks recorded, one bad record blocks nothing."""

from __future__ import annotations

import copy
import importlib

import pytest
from sqlalchemy import func, select

from appliance.domain import record_hash
from appliance.server.enrolment import create_code, enrol
from appliance.server.ingest import ingest, ingest_batch
from appliance.server.journal import (
    conflict_list,
    integrity_list,
    journal_page,
    quarantine_list,
)
from appliance.server.samples import SaleMaker
from appliance.server.storage import open_store, sales

# the module itself (the package re-exports the function `ingest` under that name)
ingest_module = importlib.import_module("appliance.server.ingest")


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "server.db")
    yield s
    s.close()


@pytest.fixture
def till_id(store):
    till_id, _token = enrol(store, create_code(store, "caisse"), "caisse")
    return till_id


def _count(store) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(sales)).scalar()


def _body(record: dict) -> bytes:
    import json

    return json.dumps(record).encode()


def test_a_sale_is_stored_once_however_often_it_is_sent(store, till_id):
    rec = SaleMaker(till_id).sale()
    first = ingest(store, till_id, _body(rec), rec["sale_id"])
    again = ingest(store, till_id, _body(rec), rec["sale_id"])
    outcomes, contiguous = ingest_batch(store, till_id, [rec, rec])
    assert (first.status, first.http_status) == ("stored", 201)
    assert (again.status, again.http_status) == ("duplicate", 200)
    assert [o.status for o in outcomes] == ["duplicate", "duplicate"]
    assert contiguous == 1
    assert _count(store) == 1
    assert journal_page(store, till_id=till_id) == [rec]


def test_same_id_other_content_is_a_conflict_kept_aside_never_overwriting(store, till_id):
    rec = SaleMaker(till_id).sale()
    assert ingest(store, till_id, _body(rec), rec["sale_id"]).status == "stored"
    other = copy.deepcopy(rec)
    other["cashier_id"] = "c2"
    other["hash"] = record_hash(other)
    out = ingest(store, till_id, _body(other), rec["sale_id"])
    assert (out.status, out.http_status, out.reason) == ("conflict", 409, "same_id_other_content")
    ingest(store, till_id, _body(other), rec["sale_id"])  # sent again: kept once
    assert journal_page(store, till_id=till_id) == [rec]
    kept = conflict_list(store)
    assert len(kept) == 1
    assert kept[0]["record"] == other and kept[0]["sale_id"] == rec["sale_id"]


def test_a_seq_taken_by_another_sale_is_a_conflict(store, till_id):
    a = SaleMaker(till_id, seed=1).sale()
    b = SaleMaker(till_id, seed=2).sale()  # also seq 1, another id
    assert a["seq"] == b["seq"] == 1 and a["sale_id"] != b["sale_id"]
    assert ingest(store, till_id, _body(a)).status == "stored"
    out = ingest(store, till_id, _body(b))
    assert (out.status, out.reason) == ("conflict", "seq_taken")
    assert conflict_list(store)[0]["existing_sale_id"] == a["sale_id"]
    assert _count(store) == 1


def test_one_malformed_record_in_a_batch_blocks_nothing(store, till_id):
    maker = SaleMaker(till_id)
    recs = maker.many(5)
    broken = copy.deepcopy(recs[2])
    broken["total"] = "lots"
    items = [recs[0], recs[1], broken, {"raw": '{"kind": "sa'}, recs[3], recs[4], 42]
    outcomes, contiguous = ingest_batch(store, till_id, items)
    assert [o.status for o in outcomes] == [
        "stored", "stored", "quarantined", "quarantined", "stored", "stored", "quarantined",
    ]  # fmt: skip
    assert _count(store) == 4
    # seq 3 was received (malformed, kept aside): the till may move on past it
    assert contiguous == 5
    kept = quarantine_list(store)
    assert {k["reason"] for k in kept} == {"malformed", "unreadable", "not_a_record"}
    assert all(k["till_id"] == till_id for k in kept)
    malformed = next(k for k in kept if k["reason"] == "malformed")
    assert malformed["seq"] == 3 and '"total":"lots"' in malformed["raw"]
    assert "total" in malformed["message"]
    assert next(k for k in kept if k["reason"] == "unreadable")["raw"] == '{"kind": "sa'


def test_unparseable_body_is_quarantined_with_its_text(store, till_id):
    out = ingest(store, till_id, b'{"kind": "sale", "seq": 1', "abc")
    assert (out.status, out.http_status) == ("quarantined", 422)
    assert "malformed JSON" in out.message
    assert quarantine_list(store)[0]["raw"] == '{"kind": "sale", "seq": 1'


def test_arithmetic_that_does_not_add_up_is_malformed(store, till_id):
    rec = SaleMaker(till_id).sale()
    rec["total"] += 1
    rec["hash"] = record_hash(rec)
    out = ingest_batch(store, till_id, [rec])[0][0]
    assert (out.status, out.reason) == ("quarantined", "malformed")
    assert _count(store) == 0


def test_a_bad_hash_is_an_integrity_event_and_quarantined(store, till_id):
    rec = SaleMaker(till_id).sale()
    rec["lines"][0]["name"] = "tampered"  # hash no longer matches
    outcomes, contiguous = ingest_batch(store, till_id, [rec])
    assert outcomes[0].status == "quarantined" and outcomes[0].reason == "bad_hash"
    ingest_batch(store, till_id, [rec])  # again: no second event
    events = integrity_list(store)
    assert [(e["kind"], e["till_id"], e["seq"]) for e in events] == [("bad_hash", till_id, 1)]
    assert _count(store) == 0 and contiguous == 1


def test_a_broken_link_is_recorded_and_the_sale_still_stored(store, till_id):
    maker = SaleMaker(till_id)
    s1, s2 = maker.sale(), maker.sale()
    forged = SaleMaker(till_id, start_seq=3, prev_hash="a" * 64, seed=9).sale()
    outcomes, contiguous = ingest_batch(store, till_id, [s1, s2, forged])
    assert [o.status for o in outcomes] == ["stored"] * 3
    assert contiguous == 3
    events = integrity_list(store)
    assert [(e["kind"], e["seq"], e["prev_seq"]) for e in events] == [("broken_link", 3, 2)]
    assert f"till {till_id}" in events[0]["message"]


def test_links_and_taken_seqs_are_seen_in_a_group_of_tills_and_far_apart_seqs(store):
    """The journal around each record is read per till (ranges, or each seq when a
    batch's seqs lie far apart): links and taken seqs are seen in both cases."""
    t1, t2 = (enrol(store, create_code(store, n), n)[0] for n in ("un", "deux"))
    a, b = SaleMaker(t1).many(60), SaleMaker(t2).many(3)
    ingest_batch(store, t1, [a[0], a[48]])  # seqs 1 and 49
    ingest_batch(store, t2, [b[0]])
    forged = SaleMaker(t1, start_seq=50, prev_hash="b" * 64, seed=4).sale()
    other_2 = SaleMaker(t1, start_seq=2, seed=5).sale()  # seq 2, another sale
    outcomes, _ = ingest_batch(store, t1, [forged, a[1], other_2])  # seqs 50, 2, 2: far apart
    assert [o.status for o in outcomes] == ["stored", "stored", "conflict"]
    assert [(e["kind"], e["seq"], e["prev_seq"]) for e in integrity_list(store)] == [
        ("broken_link", 50, 49)
    ]
    with store.write() as conn:  # a group of PUTs from two tills in one transaction
        judged = ingest_module.judge_jobs(
            conn,
            [
                ingest_module.Job(t2, [b[2]], b[2]["sale_id"]),  # seq 3: 2 is missing
                ingest_module.Job(t1, [a[2]], a[2]["sale_id"]),
                ingest_module.Job(t2, [b[1]], b[1]["sale_id"]),  # 2 comes after 3
                ingest_module.Job(t1, [a[2]], a[2]["sale_id"]),  # again: a duplicate
            ],
        )
    assert [j[0].status for j in judged] == ["stored", "stored", "stored", "duplicate"]
    assert len(integrity_list(store)) == 1  # the group's links all hold
    assert journal_page(store, till_id=t2) == b


def test_a_link_is_checked_forward_when_the_earlier_sale_comes_late(store, till_id):
    maker = SaleMaker(till_id)
    s1 = maker.sale()
    s2 = maker.sale()
    other_s1 = SaleMaker(till_id, seed=5).sale()  # not the s1 that s2 chains to
    ingest_batch(store, till_id, [s2])
    assert integrity_list(store) == []
    ingest_batch(store, till_id, [other_s1])
    events = integrity_list(store)
    assert [(e["kind"], e["seq"], e["prev_seq"], e["sale_id"]) for e in events] == [
        ("broken_link", 2, 1, s2["sale_id"])
    ]
    assert s1["sale_id"] not in {r["sale_id"] for r in journal_page(store)}


def test_first_sale_must_start_from_genesis(store, till_id):
    rec = SaleMaker(till_id, prev_hash="b" * 64).sale()
    assert ingest_batch(store, till_id, [rec])[0][0].status == "stored"
    assert [e["kind"] for e in integrity_list(store)] == ["bad_genesis"]


def test_a_till_cannot_send_another_tills_sale(store, till_id):
    rec = SaleMaker(till_id + 1).sale()
    out = ingest_batch(store, till_id, [rec])[0][0]
    assert (out.status, out.reason) == ("quarantined", "wrong_till")
    assert _count(store) == 0


def test_url_and_record_must_name_the_same_sale(store, till_id):
    rec = SaleMaker(till_id).sale()
    out = ingest(store, till_id, _body(rec), "someone-else")
    assert (out.status, out.reason) == ("quarantined", "sale_id_mismatch")


def test_contiguous_seq_stops_at_the_first_hole(store, till_id):
    recs = SaleMaker(till_id).many(6)
    _, contiguous = ingest_batch(store, till_id, [recs[0], recs[1], recs[3], recs[5]])
    assert contiguous == 2
    _, contiguous = ingest_batch(store, till_id, [recs[2]])
    assert contiguous == 4
    _, contiguous = ingest_batch(store, till_id, [recs[4]])
    assert contiguous == 6


def test_a_full_batch_of_2000_is_taken_in_one_go(store, till_id):
    recs = SaleMaker(till_id).many(2000)
    outcomes, contiguous = ingest_batch(store, till_id, recs)
    assert contiguous == 2000 and _count(store) == 2000
    assert {o.status for o in outcomes} == {"stored"}
    assert integrity_list(store) == []


def test_seqs_at_the_journals_largest_integer_are_judged_not_failed(store, till_id):
    # Found by fuzzing: the links around seq 2**63-1 were looked up at 2**63, which
    # SQLite cannot hold; the whole batch failed and each record came back "server_error".
    top = 2**63 - 1
    rec = SaleMaker(till_id, start_seq=top).sale()
    outcomes, _ = ingest_batch(store, till_id, [rec, {"raw": "torn line", "seq": top - 1}])
    assert [o.status for o in outcomes] == ["stored", "quarantined"]
    reasons = {q["seq"]: q["reason"] for q in quarantine_list(store)}
    assert reasons == {top - 1: "unreadable"}
    alone = ingest(store, till_id, _body(rec), rec["sale_id"])
    assert alone.status == "duplicate"


def test_seqs_and_till_ids_beyond_the_journals_largest_integer_are_malformed(store, till_id):
    over = 2**63
    rec = SaleMaker(till_id).sale()
    for field in ("seq", "till_id"):
        bad = {**rec, field: over}
        bad["hash"] = record_hash(bad)
        out = ingest(store, till_id, _body(bad), rec["sale_id"])
        assert (out.status, out.reason) == ("quarantined", "malformed"), out
    outcomes, _ = ingest_batch(store, till_id, [{"raw": "torn", "seq": over}])
    assert outcomes[0].status == "quarantined"
    assert [q["reason"] for q in quarantine_list(store)] == ["malformed", "malformed", "unreadable"]
