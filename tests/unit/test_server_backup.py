"""`autonome server backup`: a consistent copy of the data folder, while the server runs."""

from __future__ import annotations

import sqlite3
import stat

import pytest

from appliance.server.backup import BackupError, backup
from appliance.server.bootstrap import init_data_dir, open_data
from appliance.server.demo import demo_catalogue
from appliance.server.snapshot import build_snapshot


@pytest.fixture
def shop(tmp_path):
    init_data_dir(tmp_path / "srv", server_id="shop-1", catalogue=demo_catalogue())
    data, store, _ = open_data(tmp_path / "srv")
    yield data, store
    store.close()


def test_backup_copies_the_journal_the_keys_and_the_snapshots(shop, tmp_path):
    data, store = shop
    build_snapshot(store, data, "shop-1")
    build_snapshot(store, data, "shop-1")
    (data.root / "server.log").write_text("a log stays behind\n")
    out = tmp_path / "night"
    with store.write() as conn:  # a writer holding the database while the copy is made
        conn.exec_driver_sql("UPDATE meta SET value = value")
        done = backup(data.root, out)
    assert done["snapshots"] == [1, 2] and done["missing_snapshots"] == []
    names = {p.name for p in out.iterdir()}
    assert {"server.db", "server.json", "admin.token", "signing.key", "snapshots"} <= names
    assert "server.log" not in names and not list(tmp_path.glob(".night*"))
    for key in ("admin.token", "signing.key"):
        assert stat.S_IMODE((out / key).stat().st_mode) == 0o600
        assert (out / key).read_bytes() == (data.root / key).read_bytes()
    for v in (1, 2):
        name = f"snapshot-{v}.json"
        assert (out / "snapshots" / name).read_bytes() == (data.snapshots / name).read_bytes()
    with sqlite3.connect(out / "server.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] > 100
    restored, store2, settings = open_data(out)  # a server opens it as it is
    assert settings["server_id"] == "shop-1"
    store2.close()


def test_backup_goes_to_a_new_folder_only(shop, tmp_path):
    data, _ = shop
    (tmp_path / "taken").mkdir()
    with pytest.raises(BackupError, match="exists already"):
        backup(data.root, tmp_path / "taken")
    with pytest.raises(BackupError, match="holds no store server"):
        backup(tmp_path / "nothing", tmp_path / "out")
