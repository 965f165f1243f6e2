"""`autonome server printers` and `autonome server print-jobs`: the kitchen and bar
printers' health, the tickets and their states, a reprint marked as a copy.

They read and write the database only, so they work whether the server runs
or not: a copy asked for here is printed by the running server's spooler
within a second or so (it looks at its queue), or at its next start.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["HANDLERS", "add_parsers"]


def add_parsers(sub: Any, data_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    pr = sub.add_parser("printers", help="the kitchen and bar printers and their health")
    data_arg(pr)
    pr.add_argument("--json", action="store_true")
    pj = sub.add_parser(
        "print-jobs", help="kitchen and bar tickets and their states; --reprint JOB_ID for a copy"
    )
    data_arg(pj)
    pj.add_argument("--reprint", metavar="JOB_ID", help="print a copy (marked COPIE) of a job")
    pj.add_argument("--printer", metavar="ID", help="with --reprint: only this printer's ticket")
    pj.add_argument("--limit", type=int, default=20, help="how many recent jobs (20)")
    pj.add_argument("--json", action="store_true")


def _store(root: Path) -> Any:
    from .config import DataDir
    from .storage import open_store

    data = DataDir(root)
    if not data.exists():
        raise FileNotFoundError(f"no server data folder in {root} (autonome server init)")
    return open_store(data.db_url)


def _printers(a: argparse.Namespace) -> int:
    from .print_status import printers_view

    store = _store(a.data)
    try:
        rows = printers_view(store)
    finally:
        store.close()
    if a.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print("no kitchen or bar printer is configured")
        return 0
    for p in rows:
        state = p["state"] + (f" since {p['since']}" if p["state"] == "down" else "")
        error = f", last error {p['last_error']}" if p["last_error"] else ""
        backup = f", backup {p['backup']}" if p["backup"] else ""
        print(
            f"{p['printer_id']:<12} {p['kind']:<8} {p['name']:<16} {p['address']:<22} "
            f"{state}{error}, {p['waiting']} waiting{backup}"
        )
    return 0


def _print_jobs(a: argparse.Namespace) -> int:
    from .print_status import job_view
    from .printing import PrintRefused, job_list, reprint

    store = _store(a.data)
    try:
        if a.reprint:
            try:
                copies = reprint(store, a.reprint, a.printer)
            except PrintRefused as e:
                print(f"autonome server print-jobs: {e.message}", file=sys.stderr)
                return 1
            for c in copies:
                print(f"copy {c['copy']} of job {c['job_id']} queued for {c['printer_id']}")
            print("the server prints it now if it runs, else when it starts")
            return 0
        if a.printer:
            print("autonome server print-jobs: --printer goes with --reprint", file=sys.stderr)
            return 2
        views = [job_view(store, j["job_id"]) for j in job_list(store, max(1, a.limit))]
    finally:
        store.close()
    jobs = [v for v in views if v is not None]
    if a.json:
        print(json.dumps(jobs, ensure_ascii=False))
        return 0
    for v in jobs:
        print(f"{v['created_at'][:19]}  {v['job_id']}  till {v['till_id']}  {v['status']}")
        for d in v["deliveries"]:
            copy = f" copy {d['copy']}" if d["copy"] else ""
            used = f" on {d['sent_to']}" if d["sent_to"] and d["sent_to"] != d["printer_id"] else ""
            print(f"    {d['printer_id']}{copy}: {d['state']}{used}, {d['attempts']} attempts")
            if d["message"]:
                print(f"      {d['message']}")
    if not jobs:
        print("no print job yet")
    return 0


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "printers": _printers,
    "print-jobs": _print_jobs,
}
