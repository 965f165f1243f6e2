"""Invariants 1 and 5 at the system-call level: nothing is acknowledged or
installed before it is durable.

SIGKILL keeps the page cache, so the kill tests cannot tell a write from a
durable write. Here strace watches the real processes: the till must have
fsync'd the sale's line in outbox.log before it writes `sale_closed`; the
server must have synced its WAL after its last write to it before it answers a
sale stored, on the online PUT path and on the batch upload path (the answer
is encrypted: it is the server's first write on the cable's connection after
the cable sent the request); and a new
snapshot must be written to a temp file, fsync'd, renamed over current.json
(the old one renamed to previous.json first) and the folder fsync'd, before the
till says `snapshot_installed`. A power cut after any acknowledgement loses
nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from testbed.rig import Exchange

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace"),
]

CALL = re.compile(r"^(\d+)\s+([\d.]+)\s+(\w+)\((.*)$")
FD = re.compile(r"^\d+<((?:->|[^>])*)>")  # -yy: sockets as TCP:[local->peer]
RESUMED = re.compile(r"^(\d+)\s+([\d.]+)\s+<\.\.\. (\w+) resumed>(.*)$")
SYNC = ("fsync", "fdatasync")


@dataclass
class Call:
    pid: str
    name: str
    path: str
    start: float
    end: float | None
    text: str  # the arguments as strace shows them, and the result

    @property
    def ok(self) -> bool:
        return self.end is not None and not re.search(r"= -1\b", self.text)


def parse(log: Path) -> list[Call]:
    calls: list[Call] = []
    open_calls: dict[tuple[str, str], Call] = {}
    for line in log.read_text(errors="replace").splitlines():
        if m := CALL.match(line):
            pid, t, name, rest = m.groups()
            fd = FD.match(rest)
            path = fd.group(1) if fd else ""
            done = not rest.endswith("<unfinished ...>")
            call = Call(pid, name, path, float(t), float(t) if done else None, rest)
            calls.append(call)
            if not done:
                open_calls[(pid, name)] = call
        elif m := RESUMED.match(line):
            pid, t, name, rest = m.groups()
            call = open_calls.pop((pid, name), None)
            if call is not None:
                call.end, call.text = float(t), call.text + rest
    return calls


class Trace:
    def __init__(self, pid: int, out: Path) -> None:
        self.out = out
        self.proc = subprocess.Popen(
            ["strace", "-f", "-ttt", "-yy", "-s", "160", "-o", str(out), "-p", str(pid),
             "-e", "trace=write,pwrite64,writev,fsync,fdatasync,rename,renameat,renameat2"],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        if "attached" not in line:
            self.proc.kill()
            pytest.skip(f"strace cannot attach here: {line.strip()}")

    def calls(self) -> list[Call]:
        self.proc.terminate()
        self.proc.wait(10)
        return parse(self.out)


def assert_till_synced_before_ack(calls: list[Call], sale_id: str) -> None:
    ack = next(c for c in calls if c.path.startswith("pipe:") and "sale_closed" in c.text
               and sale_id in c.text)  # fmt: skip
    line = next(c for c in calls if c.path.endswith("outbox.log") and c.name != "fsync"
                and sale_id in c.text)  # fmt: skip
    assert line.ok and line.end <= ack.start
    synced = [c for c in calls if c.name in SYNC and c.path.endswith("outbox.log") and c.ok
              and line.end <= c.start and c.end <= ack.start]  # fmt: skip
    assert synced, f"sale_closed for {sale_id} written before outbox.log was fsync'd"


def assert_server_synced_before_answer(calls: list[Call], sale: Exchange) -> None:
    """`sale`: the request that carried the sale, as the cable relayed it."""
    assert sale.server and sale.local and sale.answered, sale
    conn = f"TCP:[{sale.server[0]}:{sale.server[1]}->{sale.local[0]}:{sale.local[1]}]"
    header = min((c for c in calls if c.path == conn and c.name not in SYNC
                  and sale.sent <= c.start <= sale.answered), key=lambda c: c.start)  # fmt: skip
    wal = [c for c in calls if c.path.endswith("-wal") and c.name not in SYNC
           and c.start < header.start]  # fmt: skip
    assert wal, "no WAL write before the answer"
    last = max(wal, key=lambda c: c.start)
    synced = [c for c in calls if c.name in SYNC and c.path.endswith("-wal") and c.ok
              and last.end <= c.start and c.end <= header.start]  # fmt: skip
    assert synced, f"{sale.method} {sale.path} answered before the WAL holding it was synced"


def assert_snapshot_installed_durably(calls: list[Call]) -> None:
    said = next(c for c in calls if c.path.startswith("pipe:") and "snapshot_installed" in c.text)
    data = [c for c in calls if c.path.endswith("/.incoming.json") and c.name not in SYNC]
    assert data and all(c.ok for c in data)
    synced = next(c for c in calls if c.name in SYNC and c.path.endswith("/.incoming.json"))
    kept = next(c for c in calls if c.name.startswith("rename") and "current.json" in c.text
                and "previous.json" in c.text)  # fmt: skip
    put = next(c for c in calls if c.name.startswith("rename") and ".incoming.json" in c.text)
    folder = next(c for c in calls if c.name in SYNC and c.path.endswith("/snapshot")
                  and c.start >= put.end)  # fmt: skip
    assert max(c.end for c in data) <= synced.start and synced.ok
    assert synced.end <= kept.start and kept.ok and kept.end <= put.start and put.ok
    assert "current.json" in put.text.split(".incoming.json", 1)[1]
    assert folder.ok and folder.end <= said.start


def test_sales_and_snapshot_durable_before_acknowledged(store, new_till, cable, barcodes, tmp_path):
    wire = cable(store)
    till = new_till(store, wire.url).online(wire.url)
    traces = (
        Trace(till.proc.pid, tmp_path / "till.strace"),
        Trace(store.proc.pid, tmp_path / "server.strace"),
    )
    online = till.sell(barcodes[:2])
    till.wait_event("synced", acked=1)  # PUT /sales/{id}
    till.go_autonomous(wire)
    alone = till.sell(barcodes[2:4])
    wire.mend()
    till.send("upload")  # POST /tills/{id}/outbox
    assert till.wait_event("upload_finished", timeout=20)["acked"] == 2
    built = store.api("POST", "/api/v1/snapshot/build").json()
    till.wait_event("snapshot_installed", version=built["version"], timeout=15)
    till_calls, server_calls = (t.calls() for t in traces)

    for sale in (online, alone):
        assert_till_synced_before_ack(till_calls, sale["sale_id"])
        carried = next(x for x in wire.exchanges if x.method in ("PUT", "POST")
                       and sale["sale_id"].encode() in x.body)  # fmt: skip
        assert_server_synced_before_answer(server_calls, carried)
    assert_snapshot_installed_durably(till_calls)
