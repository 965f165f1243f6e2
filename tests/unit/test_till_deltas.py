"""The till's side of the delta feed: what it applies, what it refuses, what it keeps."""

from __future__ import annotations

import logging

import orjson
import pytest

from appliance.protocol.deltas import delta_body
from appliance.protocol.signing import load_private_key, new_private_key_pem, public_key_b64, sign
from appliance.till.deltas import DeltaLog, DeltaRefused
from appliance.till.snapshot import Catalogue

KEY = load_private_key(new_private_key_pem())
OTHER = load_private_key(new_private_key_pem())
PUBLIC = public_key_b64(KEY)


def _catalogue(delta_seq: int = 0) -> Catalogue:
    doc = {
        "meta": {"1": {"version": 7, "server_id": "s", "delta_seq": delta_seq}},
        "articles": {
            "1": {
                "article_id": "A1",
                "name": "Baguette",
                "price": 110,
                "vat_bp": 550,
                "category": "pain",
                "barcodes": ["3760000000017"],
            },  # fmt: skip
        },
        "barcodes": {"1": {"code": "3760000000017", "article_id": "A1"}},
        "screens": {
            "1": {
                "screen_id": 1,
                "name": "Pains",
                "position": 0,
                "colour": "#ccc",
                "buttons": [
                    {"position": 0, "label": "Baguette", "colour": "#cccccc", "article_id": "A1"}
                ],
            }
        },  # fmt: skip
        "cashiers": {"1": {"cashier_id": "c1", "name": "Léa", "role": "cashier", "pin_hash": "x"}},
    }
    return Catalogue.from_document(doc)


def _wire(seq: int, ops: list, key=KEY, body: bytes | None = None) -> dict:
    body = body if body is not None else delta_body(seq, "2026-12-03T10:00:00+00:00", ops)
    return {"seq": seq, "body": body.decode(), "signature": sign(key, body)}


TARTE = {"article_id": "A2", "name": "Tarte", "price": 320, "vat_bp": 550, "category": "",
         "barcodes": ["3760000000024"]}  # fmt: skip
BUTTON = {"op": "button", "article_id": "A2", "screen_id": 1, "position": 1, "label": "Tarte",
          "colour": "#00ff00"}  # fmt: skip


def _state(cat: Catalogue) -> tuple:
    return (cat.delta_seq, orjson.dumps(cat.articles), sorted(cat.barcodes),
            orjson.dumps(cat.screens), orjson.dumps(cat.cashiers))  # fmt: skip


def test_a_delta_is_applied_kept_and_replayed(tmp_path):
    log = DeltaLog(tmp_path, PUBLIC)
    cat = _catalogue()
    assert log.apply(cat, _wire(1, [{"op": "article", "article": TARTE}, BUTTON])) == 1
    assert cat.by_barcode("3760000000024")["name"] == "Tarte"
    assert [b["label"] for b in cat.screens[0]["buttons"]] == ["Baguette", "Tarte"]
    price = {**cat.articles["A1"], "price": 120, "barcodes": ["3760000000031"]}
    log.apply(cat, _wire(2, [{"op": "article", "article": price}]))
    assert cat.by_barcode("3760000000017") is None  # its old barcode went with the edit
    assert cat.by_barcode("3760000000031")["price"] == 120
    log.apply(cat, _wire(3, [{"op": "archive", "article_id": "A2"}]))
    assert cat.by_id("A2") is None and cat.by_barcode("3760000000024") is None
    assert [b["label"] for b in cat.screens[0]["buttons"]] == ["Baguette"]
    # a till started again on the same snapshot gets the three back from deltas.log
    again = _catalogue()
    assert DeltaLog(tmp_path, PUBLIC).replay(again) == 3
    assert _state(again) == _state(cat)


def test_a_snapshot_that_folds_the_deltas_in_restarts_the_log(tmp_path):
    log = DeltaLog(tmp_path, PUBLIC)
    cat = _catalogue()
    for seq in (1, 2):
        log.apply(cat, _wire(seq, [{"op": "cashier_off", "cashier_id": f"x{seq}"}]))
    newer = _catalogue(delta_seq=1)
    log.restart(newer)
    lines = (tmp_path / "deltas.log").read_bytes().splitlines()
    assert [orjson.loads(line)["seq"] for line in lines] == [2]
    assert log.replay(newer) == 1 and newer.delta_seq == 2


@pytest.mark.parametrize(
    "case, reason",
    [
        ("other key", "bad_signature"),
        ("altered body", "bad_signature"),
        ("gap", "gap"),
        ("again", "gap"),
        ("unknown field", "unknown_field"),
        ("unknown article field", "unknown_field"),
        ("unknown op", "unknown_op"),
        ("seq inside differs", "bad_seq"),
        ("bad colour", "bad_value"),
    ],
)
def test_a_bad_delta_is_refused_logged_and_changes_nothing(tmp_path, caplog, case, reason):
    log = DeltaLog(tmp_path, PUBLIC)
    cat = _catalogue()
    log.apply(cat, _wire(1, [{"op": "article", "article": TARTE}]))
    before = _state(cat)
    good = [{"op": "archive", "article_id": "A1"}]
    wire = {
        "other key": lambda: _wire(2, good, key=OTHER),
        "altered body": lambda: {
            **_wire(2, good),
            "body": _wire(2, good)["body"].replace("A1", "A2"),
        },  # fmt: skip
        "gap": lambda: _wire(3, good),
        "again": lambda: _wire(1, good),
        "unknown field": lambda: _wire(2, [{**good[0], "price": 0}]),
        "unknown article field": lambda: _wire(
            2, [{"op": "article", "article": {**TARTE, "discount": 5}}]
        ),
        "unknown op": lambda: _wire(2, [{"op": "drop_table", "article_id": "A1"}]),
        "seq inside differs": lambda: {**_wire(2, good, body=delta_body(9, "t", good)), "seq": 2},
        "bad colour": lambda: _wire(2, [{**BUTTON, "colour": "red"}]),
    }[case]()
    with caplog.at_level(logging.ERROR), pytest.raises(DeltaRefused) as refused:
        log.apply(cat, wire)
    assert refused.value.reason == reason
    assert f"delta refused ({reason})" in caplog.text
    assert _state(cat) == before
    kept = (tmp_path / "deltas.log").read_bytes().splitlines()
    assert [orjson.loads(line)["seq"] for line in kept] == [1]  # nothing written for it


def test_a_till_without_the_servers_key_applies_nothing(tmp_path):
    cat = _catalogue()
    with pytest.raises(DeltaRefused) as refused:
        DeltaLog(tmp_path, None).apply(cat, _wire(1, [{"op": "article", "article": TARTE}]))
    assert refused.value.reason == "no_signing_key" and cat.by_id("A2") is None


def test_a_torn_last_line_is_not_replayed(tmp_path):
    log = DeltaLog(tmp_path, PUBLIC)
    cat = _catalogue()
    log.apply(cat, _wire(1, [{"op": "article", "article": TARTE}]))
    with open(tmp_path / "deltas.log", "ab") as f:
        f.write(orjson.dumps(_wire(2, [{"op": "archive", "article_id": "A1"}]))[:40])
    again = _catalogue()
    assert log.replay(again) == 1 and again.by_id("A1") is not None
