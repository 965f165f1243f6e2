"""Bad input on the command line, as a new user types it: each case is the real
`autonome` command in a process of its own, one clear line on stderr naming the file
or the option, a non-zero exit, no traceback, and the folders given left as they were."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.processes import ServerProcess, autonome

pytestmark = pytest.mark.timeout(120)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appliance", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` (or the file itself) and the sha256 of its bytes."""
    if folder.is_file():
        return {folder.name: hashlib.sha256(folder.read_bytes()).hexdigest()}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def refused(done: subprocess.CompletedProcess[str], *words: str, code: int = 1) -> str:
    """The one line of a refusal; it holds each of `words`."""
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines, done.stdout
    line = lines[-1]
    for word in words:
        assert word in line, (word, line)
    return line


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("bad-input") / "server"
    autonome("server", "init", "--data", str(data), "--demo", timeout=300)
    return data


def test_a_file_given_as_the_data_folder(tmp_path):
    file = tmp_path / "FILE"
    file.write_text("not a folder\n")
    for command in (
        ["server", "run", "--data", str(file), "--no-mdns"],
        ["till", "enroll", "--data", str(file), "--code", "X", "--server", "https://127.0.0.1:1"],
        ["ui", "--data", str(file)],
        ["till", "--headless", "--data", str(file)],
    ):
        refused(run(*command), f"--data {file}", "is a file")
    assert file.read_text() == "not a folder\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FILE"]


def test_a_port_out_of_range(store):
    before = tree(store)
    done = run("server", "run", "--data", str(store), "--port", "99999", "--no-mdns")
    refused(done, "--port", "99999", "0 to 65535", code=2)
    assert tree(store) == before


def test_run_on_a_missing_folder_makes_no_store(tmp_path):
    missing = tmp_path / "nowhere"
    done = run("server", "run", "--data", str(missing), "--no-mdns", "--port", "0")
    refused(done, str(missing), "holds no store server", "autonome server init")
    assert not missing.exists()


def test_a_server_db_that_is_not_a_database(store, tmp_path):
    data = tmp_path / "server"
    shutil.copytree(store, data)
    (data / "server.db").write_bytes(b"garbage, not SQLite\n" * 10)
    before = tree(data)
    for command in (["run", "--no-mdns", "--port", "0"], ["tills"], ["report", "x"]):
        verb = command[0]
        done = run("server", verb, "--data", str(data), *command[1:])
        refused(done, str(data / "server.db"), "not a store database")
    assert tree(data) == before


def test_a_garbage_server_json_is_named(store, tmp_path):
    data = tmp_path / "server"
    shutil.copytree(store, data)
    (data / "server.json").write_text("garbage")
    before = tree(data)
    refused(run("server", "run", "--data", str(data), "--no-mdns"), "server.json", "damaged")
    refused(run("snapshot", "build", "--data", str(data)), "server.json", "damaged")
    refused(run("server", "tills", "--data", str(data)), "server.json", "damaged")
    assert tree(data) == before


DAMAGED = {
    "torn": b'{"till_id": 1, "token": "abc',
    "empty": b"",
    "binary": bytes(range(128, 256)),
    "a list": b"[1, 2, 3]\n",
    "no token": b'{"till_id": 1, "server_id": "x"}\n',
    "wrong type": b'{"till_id": "one", "token": "t", "server_id": "x"}\n',
}


@pytest.mark.parametrize("kind", sorted(DAMAGED))
def test_a_damaged_till_json(tmp_path, kind):
    folder = tmp_path / "till"
    folder.mkdir()
    (folder / "till.json").write_bytes(DAMAGED[kind])
    before = tree(folder)
    for command in (["till", "--headless"], ["ui"]):
        done = run(*command, "--data", str(folder), env={"SDL_VIDEODRIVER": "offscreen"})
        refused(done, str(folder / "till.json"), "is damaged", "autonome till enroll")
        assert tree(folder) == before


def test_a_damaged_till_json_does_not_block_enrolment(store, tmp_path):
    data = tmp_path / "server"
    shutil.copytree(store, data)
    server = ServerProcess(data, mdns=False).start()
    try:
        folder = tmp_path / "till"
        folder.mkdir()
        (folder / "till.json").write_bytes(DAMAGED["torn"])
        code = server.enrolment_code("again")
        done = run("till", "enroll", "--data", str(folder), "--code", code, "--server", server.url)
        assert done.returncode == 0, done.stderr
        assert "kept as till.json.damaged" in done.stdout
        assert (folder / "till.json.damaged").read_bytes() == DAMAGED["torn"]
        # the new till.json is a till's: enrolling again over it is refused, as before
        again = run("till", "enroll", "--data", str(folder), "--code", code, "--server", server.url)
        refused(again, "already holds an enrolled till")
    finally:
        server.stop()


def test_a_closed_port_is_said_once_in_words(tmp_path):
    from appliance.processes import free_port

    url = f"https://127.0.0.1:{free_port()}"
    done = run("till", "enroll", "--data", str(tmp_path / "t"), "--code", "X", "--server", url)
    line = refused(done, url, "connection refused", "not enrolled")
    assert line.count("unreachable") == 0 and "ConnectError" not in line
    assert not (tmp_path / "t").exists()


def test_ui_without_a_screen_says_so(store, tmp_path):
    data = tmp_path / "server"
    shutil.copytree(store, data)
    server = ServerProcess(data, mdns=False).start()
    try:
        folder = tmp_path / "till"
        code = server.enrolment_code("no screen")
        autonome("till", "enroll", "--data", str(folder), "--code", code, "--server", server.url)
    finally:
        server.stop()
    before = tree(folder)
    env = {k: v for k, v in os.environ.items()}
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "appliance", "ui", "--data", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    refused(done, "no screen", "--headless")
    assert tree(folder) == before


def test_help_lists_every_server_subcommand():
    import argparse

    from appliance.server.cli import _parser

    done = run("help")
    assert done.returncode == 0
    server_part = done.stdout.split("  server ", 1)[1].split("\n  snapshot ", 1)[0]
    (sub,) = (a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = [name for name in sub.choices if name not in server_part.replace(",", " ").split()]
    assert missing == [] or missing == ["run"] and "server run" in server_part, missing


def test_the_drill_says_which_kitchen_tickets_were_not_drawn():
    from appliance.drill import _report

    result = {
        "sales_made": 3,
        "sales_in_journal": 3,
        "autonomous_sales": 1,
        "missing": 0,
        "duplicates": 0,
        "chain_ok": True,
        "seconds": 1.0,
        "pictures": {"ticket-cuisine": "/tmp/x/ticket-cuisine.png"},
        "tickets_not_drawn": {"bar": "no simulated printer: port 9102 is taken"},
    }
    text = _report(result)
    assert "ticket-bar not drawn" in text and "port 9102 is taken" in text
    assert "ticket-cuisine" in text


def test_ci_waits_for_the_dpkg_lock():
    text = (Path(__file__).parents[2] / ".ci" / "run").read_text()
    installs = [line for line in text.splitlines() if "apt-get" in line and "install" in line]
    assert installs and all("Lock::Timeout" in line or "lock[@]" in line for line in installs)


def test_readme_names_the_apt_packages_and_root():
    text = (Path(__file__).parents[2] / "README.md").read_text()
    for pkg in ("python3-venv", "iproute2", "strace", "nftables", "faketime", "libegl1"):
        assert pkg in text, pkg
    assert "LAN tests" in text and "root" in text
