"""A till whose data disk fills up: its data folder is a small tmpfs, filled by the test.

The sale that cannot be made durable is refused before it is acknowledged,
with a message that says so, and stays open on screen; the sales acknowledged
before are all there; once space is freed the same sale is paid and selling
goes on. A restart afterwards finds every sale (nothing lived in memory only).
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.lanrig import cannot, login, sell_many, settled
from testbed.rig import assert_exactly_once

pytestmark = pytest.mark.lan


@pytest.fixture
def tmpfs() -> Iterator:
    """tmpfs(path, size): mount a tmpfs of `size` on the folder `path` (made if
    needed); unmounted after the test."""
    mounted: list[Path] = []

    def mount(path: Path, size: str) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            cannot(f"cannot mount a tmpfs: {done.stderr.strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(folder: Path) -> Path:
    """Write a file in `folder` until its file system is full; the file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        chunk = b"\0" * 65536
        while True:
            try:
                os.write(fd, chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 2]
    finally:
        os.close(fd)
    return filler


def test_disk_full_refuses_the_sale_then_selling_resumes(
    lan, server, tmpfs, new_till, tmp_path, barcodes
):
    srv = server()
    tmpfs(tmp_path / "till1", "1m")  # the till's data folder
    till = new_till(srv, "till1")
    till.start()
    till.wait_event("mode", mode="ONLINE", timeout=10)
    login(till)
    acked = sell_many(till, barcodes, 3, mode="online")
    settled(till)

    filler = fill(till.data)
    # The outbox's last page may still hold a sale or two: sell until one is refused.
    refused = None
    for i in range(20):
        for code in barcodes[10 + i : 12 + i]:
            till.send("scan", code=code)
            till.expect("line_added")
        till.send("pay", method="card")
        ev = till.wait_for(lambda e: e.get("event") in ("sale_closed", "error"), what="answer")
        if ev["event"] == "error":
            refused = ev
            break
        acked.append(ev)
    assert refused is not None, "the till never ran out of space"
    assert refused["code"] == "outbox_write_failed", refused
    assert "disk is full" in refused["message"] and "NOT recorded" in refused["message"]
    assert refused["errno"] == "ENOSPC"
    assert refused["sale"]["lines"] and refused["sale"]["paid"] == 0, refused  # still open
    settled(till)  # what was acknowledged went up all the same (its cursor in memory)
    assert not list(till.data.glob(".*.tmp")), "a temp file kept space"

    filler.unlink()
    till.send("pay", method="card")  # the same sale, on screen all along
    acked.append(till.expect("sale_closed"))
    acked += sell_many(till, barcodes[40:], 2, mode="online")
    settled(till)

    till.quit()
    till.start()
    boot = till.wait_event("boot")
    assert (boot["last_seq"], boot["clean_stop"]) == (len(acked), True), boot
    till.wait_event("mode", mode="ONLINE", timeout=10)
    settled(till)
    assert_exactly_once(srv, till.till_id, acked)
