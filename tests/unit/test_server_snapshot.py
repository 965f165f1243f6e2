"""The snapshot builder: a TinyDB document, written atomically, versioned, hashed, signed."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time

import pytest
from tinydb import Query, TinyDB

from appliance.domain import verify_pin
from appliance.protocol.signing import (
    load_private_key,
    new_private_key_pem,
    public_key_b64,
    verify,
)
from appliance.server.bootstrap import init_data_dir, open_data
from appliance.server.config import DataDir
from appliance.server.demo import demo_catalogue, generate_catalogue
from appliance.server.snapshot import build_snapshot, latest_snapshot, snapshot_path
from appliance.server.storage import articles

TABLES = {"meta", "articles", "barcodes", "screens", "cashiers", "vat", "printers"}


@pytest.fixture
def shop(tmp_path):
    init_data_dir(tmp_path / "srv", server_id="shop-1", catalogue=demo_catalogue())
    data, store, _settings = open_data(tmp_path / "srv")
    yield data, store
    store.close()


def test_the_snapshot_is_a_tinydb_document_of_the_store(shop):
    data, store = shop
    meta = build_snapshot(store, data, "shop-1")
    path = snapshot_path(data, meta["version"])
    body = path.read_bytes()
    assert meta["sha256"] == hashlib.sha256(body).hexdigest() and meta["size"] == len(body)
    doc = json.loads(body)
    assert set(doc) == TABLES
    assert all(list(t) == [str(i) for i in range(1, len(t) + 1)] for t in doc.values())
    with TinyDB(path, access_mode="r") as db:
        assert set(db.tables()) == TABLES
        (m,) = db.table("meta").all()
        assert (m["version"], m["server_id"]) == (meta["version"], "shop-1")
        assert m["built_at"] == meta["built_at"]
        assert len(db.table("articles")) == 150
        q = Query()
        (croissant,) = db.table("articles").search(q.name == "Croissant")
        assert croissant["price"] == 110 and croissant["vat_bp"] == 550
        code = croissant["barcodes"][0]
        (row,) = db.table("barcodes").search(q.code == code)
        assert row["article_id"] == croissant["article_id"]
        c1 = db.table("cashiers").search(q.cashier_id == "c1")[0]
        assert verify_pin("1234", c1["pin_hash"]) and "pin" not in c1
        assert {p["kind"] for p in db.table("printers").all()} == {"kitchen", "bar"}
        assert [v["vat_bp"] for v in db.table("vat").all()] == [2000, 1000, 550, 210]
        screens = db.table("screens").all()
        assert screens[0]["name"] == "Favoris" and screens[0]["buttons"][0]["article_id"]


def test_versions_increase_and_the_last_three_are_kept(shop):
    data, store = shop
    versions = [build_snapshot(store, data, "shop-1")["version"] for _ in range(5)]
    assert versions == [1, 2, 3, 4, 5]
    files = sorted(p.name for p in data.snapshots.iterdir())
    assert files == ["snapshot-3.json", "snapshot-4.json", "snapshot-5.json"]
    assert latest_snapshot(store)["version"] == 5
    assert latest_snapshot(store, 2) is None
    assert latest_snapshot(store, 4)["version"] == 4


def test_inactive_articles_stay_out(shop):
    data, store = shop
    with store.write() as conn:
        conn.execute(articles.update().where(articles.c.id == "A001").values(active=False))
    doc = json.loads(snapshot_path(data, build_snapshot(store, data, "x")["version"]).read_text())
    assert "A001" not in {a["article_id"] for a in doc["articles"].values()}
    assert "A001" not in {b["article_id"] for b in doc["barcodes"].values()}


def test_no_temp_file_is_left_behind(shop):
    data, store = shop
    build_snapshot(store, data, "x")
    assert [p.name for p in data.snapshots.iterdir()] == ["snapshot-1.json"]


def test_a_snapshot_of_100000_articles(tmp_path, capsys):
    """The benchmark's catalogue; the target (2 s) is checked by the bench, here a sanity bound."""
    init_data_dir(tmp_path / "big", server_id="big", catalogue=generate_catalogue(100_000))
    data, store, _ = open_data(tmp_path / "big")
    t0 = time.perf_counter()
    meta = build_snapshot(store, data, "big")
    seconds = time.perf_counter() - t0
    store.close()
    with capsys.disabled():
        print(f"\n  snapshot of 100,000 articles built in {seconds:.2f} s ({meta['size']} bytes)")
    doc = json.loads(snapshot_path(data, meta["version"]).read_bytes())
    assert len(doc["articles"]) == 100_000
    assert len({b["code"] for b in doc["barcodes"].values()}) == len(doc["barcodes"]) > 100_000
    assert seconds < 8


# -- signatures ----------------------------------------------------------------------
def test_init_makes_a_private_signing_key(shop):
    data, _store = shop
    pem = data.signing_key_file.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert os.stat(data.signing_key_file).st_mode & 0o777 == 0o600
    key = data.signing_key()
    assert public_key_b64(key) == public_key_b64(load_private_key(pem))  # the same key, kept


def test_each_snapshot_is_signed_with_the_server_key(shop):
    data, store = shop
    meta = build_snapshot(store, data, "shop-1")
    body = snapshot_path(data, meta["version"]).read_bytes()
    public = public_key_b64(data.signing_key())
    assert verify(public, body, meta["signature"])
    assert latest_snapshot(store)["signature"] == meta["signature"]
    assert latest_snapshot(store, meta["version"])["signature"] == meta["signature"]
    other = public_key_b64(load_private_key(new_private_key_pem()))
    assert not verify(other, body, meta["signature"])
    assert not verify(public, body + b" ", meta["signature"])


def _downgrade(root):
    """A data folder as made before snapshots were signed: no key, no column."""
    (root / "signing.key").unlink()
    db = sqlite3.connect(root / "server.db")
    try:
        db.execute("ALTER TABLE snapshots DROP COLUMN signature")
        db.commit()
    finally:
        db.close()


def test_an_old_data_folder_gets_a_key_a_column_and_its_snapshots_signed(tmp_path):
    root = tmp_path / "srv"
    init_data_dir(root, server_id="old", catalogue=demo_catalogue())
    data, store, _ = open_data(root)
    kept = [build_snapshot(store, data, "old")["version"] for _ in range(2)]
    store.close()
    _downgrade(root)
    snapshot_path(data, kept[0]).write_bytes(b"{}")  # changed on disk: never signed
    data, store, _ = open_data(root)
    try:
        assert data.signing_key_file.exists()
        assert os.stat(data.signing_key_file).st_mode & 0o777 == 0o600
        public = public_key_b64(data.signing_key())
        newest = latest_snapshot(store)
        body = snapshot_path(data, newest["version"]).read_bytes()
        assert verify(public, body, newest["signature"])
        assert latest_snapshot(store, kept[0])["signature"] is None
        again = build_snapshot(store, data, "old")
        body = snapshot_path(data, again["version"]).read_bytes()
        assert verify(public, body, again["signature"])
    finally:
        store.close()
    _, store, _ = open_data(root)  # opening again changes nothing
    store.close()


def test_two_openings_of_a_folder_without_key_keep_one_key(tmp_path):
    root = tmp_path / "srv"
    init_data_dir(root, server_id="k")
    (root / "signing.key").unlink()
    first = public_key_b64(DataDir(root).signing_key())
    assert public_key_b64(DataDir(root).signing_key()) == first
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".")) == []
