"""The integrator's pre-seed (autonome.toml) and the appliance's first boot."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from appliance.firstboot import firstboot, read_settings
from appliance.preseed import PreseedError, load_preseed
from appliance.protocol import sdnotify

GOOD = """
[store]
name = "Boulangerie du Port"
language = "en"
address = ["1 quai des Bateaux", "44000 Nantes"]

[till]
server_url = "https://192.0.2.10:8470"
name = "caisse 1"
"""


def test_a_good_preseed_is_read_whole():
    p = load_preseed(GOOD)
    assert p.store["name"] == "Boulangerie du Port"
    assert p.store["address"] == ["1 quai des Bateaux", "44000 Nantes"]
    assert p.till == {"server_url": "https://192.0.2.10:8470", "name": "caisse 1"}
    assert p.language == "en"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[store]\nnmae = "x"\n', "unknown key store.nmae"),
        ('[stor]\nname = "x"\n', "unknown section or key 'stor'"),
        ("[store]\nname = 3\n", "store.name must be a string, not int"),
        ('[store]\naddress = "one line"\n', "store.address must be a list of strings"),
        ("[store]\naddress = [1]\n", "store.address must be a list of strings"),
        ('[till]\nlanguage = "de"\n', "till.language is 'de'"),
        ('[till]\nserver_url = "192.0.2.1"\n', "not an https:// URL"),
        ("[store]\nname = true\n", "store.name must be a string, not bool"),
        ('store = "x"\n', "[store] is a table"),
        ("[store\n", "not valid TOML"),
    ],
)
def test_a_wrong_preseed_names_the_key(text, says):
    with pytest.raises(PreseedError) as e:
        load_preseed(text, "/boot/efi/autonome.toml")
    assert says in str(e.value)
    assert str(e.value).startswith("/boot/efi/autonome.toml: ")


@pytest.mark.slow
def test_server_first_boot_initialises_the_store_once_and_shows_a_code(tmp_path, capsys):
    seed = tmp_path / "autonome.toml"
    seed.write_text(GOOD)
    data = tmp_path / "data"
    assert firstboot("server", seed, data, consoles=()) == 0
    out = capsys.readouterr().out
    code = re.search(r"enrolment code for 'till 1' \(single use, valid \d+ h\): (\S+)", out)
    fp = re.search(r"server certificate sha256: ([0-9A-F:]+)", out)
    assert code and fp, out
    assert "Boulangerie du Port" in out
    assert (data / "server" / "server.json").exists()
    identity = json.loads(
        subprocess.run(
            [sys.executable, "-m", "appliance", "server", "store"]
            + ["--data", str(data / "server"), "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert identity["name"] == "Boulangerie du Port"
    assert identity["address"] == ["1 quai des Bateaux", "44000 Nantes"]
    assert read_settings(data)["language"] == "en"
    # the next boot finds the store: no second store, no second code
    assert firstboot("server", seed, data, consoles=()) == 0
    assert "enrolment code" not in capsys.readouterr().out


def test_a_wrong_preseed_boots_with_the_defaults_and_says_why(tmp_path, capsys):
    seed = tmp_path / "autonome.toml"
    seed.write_text('[till]\nlangauge = "en"\n')
    (tmp_path / "devices.toml").write_text("# no devices\n")
    data = tmp_path / "data"
    assert firstboot("till", seed, data, consoles=()) == 0
    out = capsys.readouterr().out
    assert "unknown key till.langauge" in out and "booting with the defaults" in out
    settings = read_settings(data)
    assert settings["language"] == "fr"
    assert "till.langauge" in settings["preseed_error"]
    assert (data / "till").is_dir()
    assert (data / "till" / "devices.toml").read_text() == "# no devices\n"


def test_sd_notify_reaches_the_socket_and_is_silent_without_it(tmp_path, monkeypatch):
    import socket

    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(path)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        assert sdnotify.notify("WATCHDOG=1")
        assert s.recv(64) == b"WATCHDOG=1"
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert sdnotify.watchdog_interval() == 15.0
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert not sdnotify.notify("READY=1")


def test_the_console_port_is_opened_read_write_once_its_host_side_is_there(tmp_path):
    """The headless till's port (a pty here, as the virtio port): opened for both ways,
    once the other side holds it; what the till writes reaches that side."""
    import os
    import pty
    import threading
    import time

    from appliance.firstboot import open_port

    master, slave = pty.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    try:
        got: list[int] = []
        t = threading.Thread(target=lambda: got.append(open_port(path, poll_s=0.05)))
        t.start()
        t.join(5)
        assert got, "the port was not opened while its other side is there"
        fd = got[0]
        os.write(fd, b'{"event": "boot"}\n')
        deadline = time.monotonic() + 5
        seen = b""
        while b"boot" not in seen and time.monotonic() < deadline:
            seen += os.read(master, 100)
        assert b'"boot"' in seen
        os.write(master, b'{"cmd": "quit"}\n')
        assert b"quit" in os.read(fd, 100)
        os.close(fd)
    finally:
        os.close(master)
