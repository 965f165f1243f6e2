"""Invariant 2: the same sale id uploaded twice, with the same content (a duplicate:
one row) and with other content (a conflict: kept aside, reported, the original
untouched).

tests/integration/test_server_api.py does it with single PUTs; here through
batch uploads (in one batch and across batches), a reused seq, and a real till
that lost its acknowledged cursor and sends its outbox again.
"""

from __future__ import annotations

import copy

import httpx
import orjson
import pytest

from appliance.domain import record_hash, verify_chain
from appliance.server.samples import SaleMaker
from appliance.till.fsio import encode_line
from testbed.rig import API, journal, listed

pytestmark = pytest.mark.timeout(60)


def other_content(record: dict) -> dict:
    """The same sale id, paid otherwise, correctly hashed: not a corruption, a conflict."""
    other = copy.deepcopy(record)
    other["payments"] = [{"method": "card", "amount": record["total"]}]
    other["change"] = 0
    other["hash"] = record_hash(other)
    return other


def test_batches_sending_a_sale_twice(store, new_till):
    till = new_till(store)  # only its identity: the records are made here
    http = httpx.Client(
        base_url=store.url + API,
        headers={"Authorization": f"Bearer {till.token}"},
        timeout=30,
        verify=store.tls(),
    )
    maker = SaleMaker(till.till_id, seed=7)
    r1, r2, r3, r4 = maker.many(4)

    def upload(*records: dict) -> tuple[list[str], int]:
        r = http.post(f"/tills/{till.till_id}/outbox", json={"records": list(records)})
        assert r.status_code == 200, r.text
        return [x["status"] for x in r.json()["results"]], r.json()["contiguous_seq"]

    assert upload(r1, r2, r1) == (["stored", "stored", "duplicate"], 2)
    assert upload(r1, r2) == (["duplicate", "duplicate"], 2)
    assert http.put(f"/sales/{r2['sale_id']}", json=r2).json()["status"] == "duplicate"

    changed = other_content(r2)
    assert upload(changed, r3) == (["conflict", "stored"], 3)
    assert upload(changed) == (["conflict"], 3)  # reported again, kept once
    reused_seq = SaleMaker(till.till_id, seed=8, start_seq=3, prev_hash=r2["hash"]).sale()
    assert upload(reused_seq, r4) == (["conflict", "stored"], 4)

    sales = journal(store, till.till_id)
    assert sales == [r1, r2, r3, r4]  # one row each, the originals untouched
    assert verify_chain(sales) == []
    conflicts = listed(store, "conflicts", till.till_id)
    assert [(c["sale_id"], c["seq"], c["reason"]) for c in conflicts] == [
        (r2["sale_id"], 2, "same_id_other_content"),
        (reused_seq["sale_id"], 3, "seq_taken"),
    ]
    assert conflicts[0]["record"] == changed and conflicts[1]["record"] == reused_seq
    assert conflicts[1]["existing_sale_id"] == r3["sale_id"]
    assert listed(store, "pending", till.till_id) == []
    http.close()


def test_a_till_sending_its_outbox_again_one_line_rewritten(store, new_till, barcodes):
    till = new_till(store).online(store.url)
    sold = [till.sell(barcodes[i : i + 2]) for i in range(3)]
    till.wait_event("synced", acked=3)
    till.quit()
    originals = journal(store, till.till_id)
    assert [s["sale_id"] for s in originals] == [s["sale_id"] for s in sold]

    # the acked cursor is lost (an old backup put back) and sale 2's line was rewritten
    outbox = till.data / "outbox.log"
    lines = outbox.read_bytes().splitlines(keepends=True)
    changed = other_content(orjson.loads(lines[1][17:]))
    lines[1] = encode_line(orjson.dumps(changed))
    outbox.write_bytes(b"".join(lines))
    (till.data / "outbox.acked").unlink()

    till.start(store.url)
    assert till.wait_event("boot")["pending"] == 3
    aside = till.wait_event("kept_aside", timeout=20)
    assert (aside["seq"], aside["status"], aside["raw"]) == (2, "conflict", False)
    till.wait_event("synced", acked=3)  # 1 and 3 duplicates, 2 kept aside: nothing blocks

    assert journal(store, till.till_id) == originals  # one row each, untouched
    conflicts = listed(store, "conflicts", till.till_id)
    assert [(c["sale_id"], c["reason"]) for c in conflicts] == [
        (sold[1]["sale_id"], "same_id_other_content")
    ]
    assert conflicts[0]["record"] == changed
    assert listed(store, "pending", till.till_id) == []
