"""`autonome server pending | report | journal | tills | backup`: the store's books,
read from the database whether the server runs or not (a backup is a consistent copy
while it runs)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.domain import format_cents, rate_label

__all__ = ["HANDLERS", "add_parsers"]


def add_parsers(sub: Any, data_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    pend = sub.add_parser("pending", help="sales the tills have not sent yet")
    data_arg(pend)
    rep = sub.add_parser("report", help="X (live) or Z (closes the day) report")
    rep.add_argument("kind", choices=["x", "z"])
    data_arg(rep)
    rep.add_argument("--day", help="YYYY-MM-DD (today)")
    rep.add_argument("--json", action="store_true")
    jour = sub.add_parser("journal", help="the sales journal")
    data_arg(jour)
    jour.add_argument("--till", type=int)
    jour.add_argument("--json", action="store_true")
    tl = sub.add_parser("tills", help="enrolled tills")
    data_arg(tl)
    bk = sub.add_parser(
        "backup", help="copy the data folder into a new folder OUT (while the server runs)"
    )
    data_arg(bk)
    bk.add_argument("out", type=Path, help="the backup folder to create")


def _open(a: argparse.Namespace):
    from .bootstrap import open_data

    return open_data(a.data)


def _pending(a: argparse.Namespace) -> int:
    from .gaps import pending

    _data, store, _settings = _open(a)
    rows = pending(store)
    for row in rows:
        print(row["text"])
    if not rows:
        print("no sale pending: every till's sales are in the journal")
    return 0


def _money(c: int) -> str:
    return format_cents(c)


def _report_text(r: dict[str, Any]) -> str:
    title = f"Z report no. {r['number']}" if r["kind"] == "Z" else "X report (live)"
    out = [f"{title} — {r['day']}", f"sales: {r['sales']}   total: {_money(r['total'])}"]
    out.append(f"autonomous sales: {r['modes'].get('autonomous', 0)}")
    out.append("per till:")
    for t in r["tills"]:
        out.append(
            f"  till {t['till_id']} ({t['name']}): {t['sales']} sales, {_money(t['total'])}"
            f" (seq {t['first_seq']}-{t['last_seq']})"
        )
    out.append("per payment method (net of change):")
    for p in r["payments"]:
        out.append(f"  {p['method']:<13} {_money(p['amount']):>14}  ({p['count']})")
    if r.get("voucher_excess"):
        out.append(f"  meal-voucher excess kept: {_money(r['voucher_excess'])}")
    out.append("per VAT rate:          gross            net            VAT")
    for v in r["vat"]:
        out.append(
            f"  {rate_label(v['vat_bp']):<8} {_money(v['gross']):>14} {_money(v['net']):>14}"
            f" {_money(v['vat']):>14}"
        )
    if (c := r.get("cancelled") or {}).get("count"):
        out.append(
            f"cancelled sales: {c['count']}, {_money(c['total'])} (paid back {_money(c['paid'])})"
        )
    for text in r.get("pending", []):
        out.append(f"warning: {text}")
    late = r.get("late_sales") or {}
    if late.get("sales"):
        out.append(f"received after this Z: {late['sales']} sales, {_money(late['total'])}")
    return "\n".join(out)


def _report(a: argparse.Namespace) -> int:
    from .reports import ReportError, close_day, x_report

    _data, store, _settings = _open(a)
    try:
        report = x_report(store, a.day) if a.kind == "x" else close_day(store, a.day)[0]
    except ReportError as e:
        print(f"autonome server report: {e}", file=sys.stderr)
        return 1
    print(json.dumps(report, ensure_ascii=False) if a.json else _report_text(report))
    return 0


def _journal(a: argparse.Namespace) -> int:
    from .journal import journal_page

    _data, store, _settings = _open(a)
    records = journal_page(store, till_id=a.till, limit=10**9)
    if a.json:
        print(json.dumps(records, ensure_ascii=False))
        return 0
    for r in records:
        print(
            f"till {r['till_id']} #{r['seq']:<6} {r['closed_at']}  {_money(r['total']):>12}  "
            f"{r['mode']:<10} {r['sale_id']}"
        )
    print(f"{len(records)} sales")
    return 0


def _tills(a: argparse.Namespace) -> int:
    from .enrolment import list_tills

    _data, store, _settings = _open(a)
    for t in list_tills(store):
        state = "revoked" if t["revoked"] else "enrolled"
        print(
            f"till {t['till_id']} ({t['name']}): {state}, last seen {t['last_seen'] or 'never'}, "
            f"contiguous seq {t['contiguous_seq']}, last seq reported {t['last_seq_reported']}"
        )
    return 0


def _backup(a: argparse.Namespace) -> int:
    from .backup import BackupError, backup

    try:
        done = backup(a.data, a.out)
    except BackupError as e:
        print(f"autonome server backup: {e}", file=sys.stderr)
        return 1
    versions = ", ".join(map(str, done["snapshots"])) or "none"
    print(
        f"backup of {a.data} in {a.out}: {done['sales']} sales of {done['tills']} tills, "
        f"snapshots {versions}, files {', '.join(done['files'])}"
    )
    if done["missing_snapshots"]:
        gone = ", ".join(map(str, done["missing_snapshots"]))
        print(f"warning: snapshot files {gone} were pruned meanwhile (old ones, not served)")
    print(f"restore: stop the server, move {a.data} aside, copy {a.out} to {a.data}, start it")
    return 0


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "pending": _pending,
    "report": _report,
    "journal": _journal,
    "tills": _tills,
    "backup": _backup,
}
