"""The boot's health check and its decision, without a VM.

`autonome till health` against a real headless till process on a real data folder
(its lock in /proc/locks, its journal, its outbox); `Confirm`'s decisions with a
recorder in place of `rauc status mark-good|mark-bad` and of the reboot (those need a
booted appliance: the VM tests run them for real); the status file and the `update`
event the till's core publishes from it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from appliance.till.fsio import encode_line
from appliance.till.health import check, lock_holder
from appliance.till.outbox import Outbox
from appliance.till.update_status import UpdateWatch, read_status, write_status
from appliance.updates.flow import Confirm
from testbed.devices import _enrol
from testbed.sales import append_autonomous_sales

ROOT = Path(__file__).resolve().parents[2]


def start_till(data: Path) -> subprocess.Popen:
    p = subprocess.Popen(
        [sys.executable, "-m", "appliance", "till", "--headless", "--data", str(data),
         "--server", "https://127.0.0.1:9", "--no-mdns", "--no-devices"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    for line in p.stdout:
        if json.loads(line).get("event") == "boot":
            return p
    raise AssertionError("the till never booted")


def stop_till(p: subprocess.Popen) -> None:
    p.stdin.write('{"cmd": "quit"}\n')
    p.stdin.close()
    p.wait(timeout=20)


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "till"
    _enrol(d, None, 2)
    box = Outbox.open(d)
    append_autonomous_sales(box, 2, 5)
    box.mark_acked(2)
    box.close()
    return d


def test_a_running_till_is_sound_and_named_by_its_lock(data):
    assert not check(data).ok  # nothing runs yet
    assert "no till process" in " ".join(check(data).problems)
    p = start_till(data)
    try:
        h = check(data)
        assert h.ok, h.problems
        assert h.pid == p.pid == lock_holder(data / ".till.lock")
        assert (h.sales, h.last_seq, h.acked, h.pending) == (5, 5, 2, 3)
        assert h.booted_at is not None
        r = subprocess.run(
            [sys.executable, "-m", "appliance", "till", "health", "--data", str(data)],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["pid"] == p.pid
    finally:
        stop_till(p)
    h = check(data)
    assert not h.ok and h.pid is None


def test_a_broken_chain_in_the_outbox_is_unsound(data):
    log = data / "outbox.log"
    lines = log.read_bytes().splitlines(keepends=True)
    record = orjson.loads(lines[2][17:].rstrip(b"\n"))
    record["total"] += 1  # a sale altered, its line's checksum made right again
    lines[2] = encode_line(orjson.dumps(record))
    log.write_bytes(b"".join(lines))
    p = start_till(data)
    try:
        h = check(data)
        assert not h.ok
        assert any("hash chain is broken" in x and "sale 3" in x for x in h.problems)
    finally:
        stop_till(p)


def test_a_till_never_enrolled_is_not_checked_for_an_outbox(tmp_path):
    h = check(tmp_path)
    assert not h.enrolled and "no enrolled till" in h.problems[0]


def test_the_health_check_writes_nothing(data):
    before = {f.name: f.read_bytes() for f in data.rglob("*") if f.is_file()}
    check(data)
    after = {f.name: f.read_bytes() for f in data.rglob("*") if f.is_file()}
    assert after == before


# -- the decision at boot ------------------------------------------------------------------


class Recorder:
    """Stands for `rauc status mark-*` and the reboot (a booted appliance only)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def mark(self, state: str, slot: str = "booted") -> None:
        self.calls.append(f"mark-{state}")

    def reboot(self) -> None:
        self.calls.append("reboot")


def confirm(tmp_path, booted: str, problems: list[str], unit: dict | None = None, **kw):
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(f"root=PARTLABEL=rootfs-{booted.lower()} ro rauc.slot={booted}\n")
    rec = Recorder()
    c = Confirm(
        lambda: list(problems), unit="autonome-till.service" if unit is not None else None,
        rauc=rec, path=tmp_path / "update-status.json", cmdline=cmdline, reboot=rec.reboot,
        unit_state=lambda name: dict(unit or {}), timeout_s=kw.get("timeout_s", 0.2),
        every_s=0.05,
    )  # fmt: skip
    return c.run(), rec.calls, read_status(tmp_path / "update-status.json")


def test_the_new_slot_sound_is_marked_good(tmp_path):
    write_status("installed", tmp_path / "update-status.json", slot="B", booted="A",
                 version="2.0")  # fmt: skip
    status, calls, saved = confirm(tmp_path, "B", [])
    assert calls == ["mark-good"]
    assert saved["result"] == "good" and saved["slot"] == "B" and saved["version"] == "2.0"


def test_the_new_slot_unsound_is_marked_bad_and_the_machine_restarts(tmp_path):
    write_status("installed", tmp_path / "update-status.json", slot="B", booted="A",
                 version="2.0")  # fmt: skip
    status, calls, saved = confirm(tmp_path, "B", ["no till process holds the outbox"])
    assert calls == ["mark-bad", "reboot"]
    assert saved["result"] == "rolled_back" and saved["ok"] is False
    assert "no till process holds the outbox" in saved["reason"]
    assert "back to slot A" in saved["reason"]


def test_a_crash_loop_is_seen_at_once_not_after_the_timeout(tmp_path):
    write_status("installed", tmp_path / "update-status.json", slot="B", booted="A")
    t0 = time.monotonic()
    status, calls, saved = confirm(
        tmp_path, "B", [], unit={"ActiveState": "activating", "NRestarts": "4"}, timeout_s=60
    )
    assert time.monotonic() - t0 < 5
    assert calls == ["mark-bad", "reboot"]
    assert "keeps crashing (4 restarts)" in saved["reason"]


def test_back_on_the_old_slot_after_the_new_one_never_came_up(tmp_path):
    """A kernel panic on B: no health check ran there; GRUB's one try ran out."""
    write_status("installed", tmp_path / "update-status.json", slot="B", booted="A")
    status, calls, saved = confirm(tmp_path, "A", [])
    assert calls == ["mark-good"]
    assert saved["result"] == "rolled_back" and "slot B did not come up" in saved["reason"]


def test_a_power_cut_during_the_install_is_reported_and_the_old_slot_kept(tmp_path):
    write_status("installing", tmp_path / "update-status.json", slot="B", booted="A")
    status, calls, saved = confirm(tmp_path, "A", [])
    assert calls == ["mark-good"]
    assert saved["result"] == "failed" and "interrupted" in saved["reason"]


def test_an_ordinary_boot_marks_good_and_keeps_the_last_result(tmp_path):
    write_status("failed", tmp_path / "update-status.json", reason="the bundle was refused: x")
    status, calls, saved = confirm(tmp_path, "A", [])
    assert calls == ["mark-good"] and status["result"] == "good"
    assert saved["result"] == "failed"  # still shown until the next update


def test_the_old_slot_unsound_is_not_marked_and_not_restarted(tmp_path):
    status, calls, saved = confirm(tmp_path, "A", ["the till is not running"])
    assert calls == [] and status["ok"] is False and saved is None


# -- the status file and the core's `update` event -----------------------------------------


def test_a_damaged_status_file_reads_as_a_failure_that_says_so(tmp_path):
    (tmp_path / "s.json").write_text('{"result": "goo')
    assert read_status(tmp_path / "s.json")["result"] == "failed"
    assert read_status(tmp_path / "none.json") is None


def test_the_core_publishes_the_status_when_it_changes(tmp_path):
    path = tmp_path / "update-status.json"
    seen: list[dict] = []
    stop = threading.Event()
    watch = UpdateWatch(lambda name, **f: seen.append({"event": name, **f}), stop, path, 0.05)
    assert watch.poll() is None  # nothing yet
    write_status("failed", path, reason="the bundle was refused: signature verification failed")
    assert watch.poll()["result"] == "failed"
    assert watch.poll() is None  # unchanged: not again
    os.utime(path, ns=(0, 0))
    watch.start()
    try:
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        watch.join(5)
    assert seen[-1]["event"] == "update" and "signature" in seen[-1]["reason"]


def test_the_till_core_publishes_the_last_update_at_start(data, tmp_path, monkeypatch):
    from appliance.till import Till

    path = tmp_path / "update-status.json"
    monkeypatch.setenv("AUTONOME_UPDATE_STATUS", str(path))
    write_status("rolled_back", path, reason="slot B failed its health check")
    till = Till(data, mdns=False, server_hint="https://127.0.0.1:9")
    events: list[dict] = []
    till.subscribe(events.append)
    till.start()
    try:
        deadline = time.monotonic() + 10
        while not [e for e in events if e["event"] == "update"] and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        till.stop()
    update = [e for e in events if e["event"] == "update"]
    assert update and update[0]["result"] == "rolled_back"
