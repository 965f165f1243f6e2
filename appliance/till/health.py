"""`autonome till health --data DIR`: is the till running on this machine sound?

What an updated slot must show before it is kept (the boot's health check marks
the slot good only when this says so), and what an integrator runs by hand:

1. the outbox opens and reads back: every line checks, the hash chain holds from
   the first sale to the last, the acknowledged cursor is not past the last sale;
   it is read without its lock (the running till holds that), never written;
2. a till process holds the outbox: its exclusive lock on `.till.lock`, as the
   kernel lists it in /proc/locks, names that process;
3. that process reached its core: the till's journal (`events.log`) holds a
   `boot` event written after the process started (`Till.open()` writes it once the
   outbox, the journal and the snapshot are open).

Nothing here writes to the data folder or talks to the till through anything but
its files and the kernel, so the check never disturbs a sale.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from appliance.domain import verify_chain

from .config import CONFIG_NAME
from .eventlog import LOG_NAME as EVENTS_NAME
from .fsio import read_int
from .linelog import scan_log
from .outbox import ACKED_NAME
from .outbox import LOG_NAME as OUTBOX_NAME

__all__ = ["Health", "check", "lock_holder", "main"]

LOCK_NAME = ".till.lock"
#: the journal's clock and the kernel's start time of a process may differ this much
CLOCK_SLACK_S = 2.0


@dataclass
class Health:
    ok: bool = False
    enrolled: bool = False
    pid: int | None = None
    sales: int = 0
    last_seq: int = 0
    acked: int = 0
    pending: int = 0
    kept_aside: int = 0
    torn_bytes: int = 0
    booted_at: str | None = None
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def lock_holder(path: Path, proc_locks: Path = Path("/proc/locks")) -> int | None:
    """The pid of the process holding an exclusive flock on `path` (None: nobody)."""
    try:
        st = os.stat(path)
        lines = proc_locks.read_text().splitlines()
    except OSError:
        return None
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    by_inode: list[int] = []
    for line in lines:
        parts = line.split()
        # "1: FLOCK ADVISORY WRITE 1234 fe:01:5678 0 EOF"; "1: -> FLOCK ..." waits
        if len(parts) < 6 or parts[1] == "->" or parts[1] != "FLOCK" or parts[3] != "WRITE":
            continue
        pid, where = parts[4], parts[5]
        if not pid.isdigit():
            continue
        if where == dev:
            return int(pid)
        if where.rsplit(":", 1)[-1] == str(st.st_ino):
            by_inode.append(int(pid))
    # some filesystems (overlayfs, btrfs) show another device number than stat's
    return by_inode[0] if len(by_inode) == 1 else None


def process_started(pid: int) -> float | None:
    """When a process started, in seconds since the epoch (None if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        btime = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return btime + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _read_log(path: Path) -> tuple[list[dict[str, Any]], int, int]:
    """Records, unreadable lines, torn bytes of an append-only log, read only."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0, 0
    found = scan_log(data)
    records = []
    bad = len(found.bad)
    for _off, _length, payload in found.good:
        try:
            records.append(orjson.loads(payload))
        except orjson.JSONDecodeError:
            bad += 1
    return records, bad, len(found.torn)


def _last_boot(events: list[dict[str, Any]]) -> datetime | None:
    for event in reversed(events):
        if event.get("type") == "boot":
            try:
                at = datetime.fromisoformat(str(event.get("at")))
            except ValueError:
                return None
            return at if at.tzinfo else at.replace(tzinfo=UTC)
    return None


def check(data_dir: Path, *, proc_locks: Path = Path("/proc/locks")) -> Health:
    data_dir = Path(data_dir)
    h = Health()
    h.enrolled = (data_dir / CONFIG_NAME).exists()
    if not h.enrolled:
        h.problems.append(f"{data_dir} holds no enrolled till ({CONFIG_NAME} is missing)")
        return h
    try:
        sales, h.kept_aside, h.torn_bytes = _read_log(data_dir / OUTBOX_NAME)
    except OSError as e:
        h.problems.append(f"the outbox cannot be read: {e.strerror or e}")
        return h
    sales = [s for s in sales if isinstance(s, dict) and isinstance(s.get("seq"), int)]
    h.sales = len(sales)
    h.last_seq = max((int(s["seq"]) for s in sales), default=0)
    h.acked = read_int(data_dir / ACKED_NAME)
    h.pending = sum(1 for s in sales if int(s["seq"]) > h.acked)
    breaks = verify_chain(sales)
    if breaks:
        shown = ", ".join(str(b) for b in breaks[:3])
        h.problems.append(f"the outbox's hash chain is broken ({len(breaks)}: {shown})")
    seqs = sorted(int(s["seq"]) for s in sales)
    if seqs and seqs != list(range(seqs[0], seqs[0] + len(seqs))) and not h.kept_aside:
        h.problems.append("the outbox's sale numbers have a gap")
    if h.acked > h.last_seq and h.sales:
        h.problems.append(f"outbox.acked ({h.acked}) is past the last sale ({h.last_seq})")
    h.pid = lock_holder(data_dir / LOCK_NAME, proc_locks)
    if h.pid is None:
        h.problems.append("no till process holds the outbox (the till is not running)")
    else:
        events, _, _ = _read_log(data_dir / EVENTS_NAME)
        boot = _last_boot(events)
        h.booted_at = boot.isoformat() if boot else None
        started = process_started(h.pid)
        if boot is None:
            h.problems.append("the till's journal records no boot: its core never opened")
        elif started is not None and boot.timestamp() < started - CLOCK_SLACK_S:
            h.problems.append(
                f"the running till (pid {h.pid}) has not reached its core yet: the last boot "
                f"in its journal ({boot.isoformat()}) is older than the process"
            )
    h.ok = not h.problems
    return h


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="autonome till health",
        description="check the till running on this machine: its outbox reads back with its "
        "hash chain whole, a till process holds it and reached its core; exit 0 when sound",
    )
    p.add_argument("--data", type=Path, required=True, help="the till's data folder")
    a = p.parse_args(argv)
    h = check(a.data)
    print(json.dumps(h.as_dict(), ensure_ascii=False))
    for problem in h.problems:
        print(f"autonome till health: {problem}", file=sys.stderr)
    return 0 if h.ok else 1
