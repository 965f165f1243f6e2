"""till.json's settings and server.json read through their models: a misspelt or
unknown key is an error naming the file and the key, never a setting ignored."""

from __future__ import annotations

import json

import pytest

from appliance.protocol.configfile import ConfigError
from appliance.server.cli import main as server_main
from appliance.server.config import DataDir
from appliance.till.config import Settings, TillConfig


def write_till(folder, settings):
    folder.mkdir(exist_ok=True)
    body = {"till_id": 3, "token": "t", "server_id": "srv", "settings": settings}
    (folder / "till.json").write_text(json.dumps(body))


def test_the_till_settings_in_use_are_read(tmp_path):
    used = {"heartbeat_s": 0.5, "back_probe_s": 1, "upload_batch": 3, "mdns": False,
            "mdns_interfaces": ["127.0.0.1"], "request_timeout_s": 2, "upload_timeout_s": 20,
            "discovery_timeout_s": 1.5}  # fmt: skip
    write_till(tmp_path, used)
    assert TillConfig.load(tmp_path).settings == Settings(**used)
    write_till(tmp_path, {})
    assert TillConfig.load(tmp_path).settings == Settings()


@pytest.mark.parametrize(
    ("settings", "key", "said"),
    [
        ({"back_probe": 1.0}, "settings.back_probe", "unknown key; known: heartbeat_s,"),
        ({"upload_batch": "many"}, "settings.upload_batch", "must be a whole number, not 'many'"),
        ({"mdns": "off"}, "settings.mdns", "must be true or false"),
        ({"mdns_interfaces": "eth0"}, "settings.mdns_interfaces", "must be a list"),
    ],
)
def test_a_till_setting_misspelt_names_the_file_and_the_key(tmp_path, settings, key, said):
    write_till(tmp_path, settings)
    with pytest.raises(ConfigError) as e:
        TillConfig.load(tmp_path)
    assert (e.value.source, e.value.key) == (str(tmp_path / "till.json"), key)
    assert str(e.value).startswith(f"{tmp_path / 'till.json'}: {key}: ") and said in str(e.value)


def test_server_json_as_written_by_init_is_read(tmp_path):
    data = DataDir(tmp_path)
    written = {"server_id": "srv-1", "snapshot_at": "23:30", "keep_snapshots": 3,
               "db_url": "sqlite:///x.db", "printing": {"attempts": 2}}  # fmt: skip
    data.write_settings(written)
    assert data.read_settings() == written


@pytest.mark.parametrize(
    ("settings", "key", "said"),
    [
        ({"server_id": "s", "snapshot": "22:00"}, "snapshot", "unknown key; known: server_id"),
        ({"server_id": "s", "keep_snapshots": "3"}, "keep_snapshots", "must be a whole number"),
        ({"snapshot_at": "22:00"}, "server_id", "missing"),
    ],
)
def test_a_server_setting_misspelt_names_the_file_and_the_key(tmp_path, settings, key, said):
    data = DataDir(tmp_path)
    data.write_settings(settings)
    with pytest.raises(ConfigError) as e:
        data.read_settings()
    assert str(e.value).startswith(f"{data.settings}: {key}: ") and said in str(e.value)


def test_the_server_does_not_start_on_a_misspelt_setting(tmp_path, capsys):
    DataDir(tmp_path).write_settings({"server_id": "s", "snapshot_time": "22:00"})
    assert server_main(["run", "--data", str(tmp_path), "--no-mdns"]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'server.json'}: snapshot_time: unknown key" in err
