"""Back-office pages: printers (health, jobs, reprint), reports (X, Z, the chain
check, CSV, sales per hour) and the journal (with what was kept aside)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from appliance.domain import verify_chain

from ..journal import conflict_list, integrity_list, quarantine_list
from ..print_status import job_view, printers_view
from ..printing import PrintRefused, job_list, reprint
from ..reports import ReportError, close_day, list_z, today, x_report
from ..shop import shop_of
from ..storage import Store, sales
from .web import BASE, form_of, page, redirect, secure, session_of

__all__ = ["chain_check", "hourly", "router"]

router = APIRouter(include_in_schema=False)


@router.get("/printers")
def printer_page(request: Request) -> Response:
    s = session_of(request)
    store = shop_of(request).store
    jobs = [job_view(store, j["job_id"]) for j in job_list(store, 30)]
    return page(request, "printers.html", s, printers=printers_view(store),
                jobs=[j for j in jobs if j])  # fmt: skip


@router.post("/printers/reprint")
async def printer_reprint(request: Request) -> Response:
    s, form = await form_of(request)
    shop = shop_of(request)
    job_id = str(form.get("job_id", ""))[:64]
    try:
        copies = await run_in_threadpool(reprint, shop.store, job_id, None)
        shop.spooler.submit(job_id, copies, {})
        s.flash.append(f"{job_id}: reprinted")
    except PrintRefused as e:
        s.flash.append(f"{job_id}: {e.message}")
    return redirect(f"{BASE}/printers")


def hourly(store: Store, day: str) -> list[dict[str, int]]:
    """The day's sales per hour of the till's clock (24 slots: count, total)."""
    slots = [{"hour": h, "sales": 0, "total": 0} for h in range(24)]
    with store.read() as conn:
        rows = conn.execute(select(sales.c.closed_at, sales.c.total).where(sales.c.day == day))
        for closed_at, total in rows:
            try:
                hour = datetime.fromisoformat(closed_at).astimezone().hour
            except ValueError:
                continue
            slots[hour]["sales"] += 1
            slots[hour]["total"] += total
    return slots


def chart_svg(slots: list[dict[str, int]]) -> str:
    """A bar chart of the totals per hour, as inline SVG (no script, no library)."""
    width, height, bar = 720, 180, 30
    top = max((s["total"] for s in slots), default=0) or 1
    parts = [f'<svg viewBox="0 0 {width} {height + 20}" class="chart" role="img" '
             f'xmlns="http://www.w3.org/2000/svg">']  # fmt: skip
    for s in slots:
        h = round(s["total"] / top * height)
        x = s["hour"] * bar
        euros = f"{s['total'] // 100},{s['total'] % 100:02d} €"
        parts.append(
            f'<rect x="{x + 3}" y="{height - h}" width="{bar - 6}" height="{h}">'
            f"<title>{s['hour']:02d}h: {s['sales']} / {euros}</title></rect>"
        )
        parts.append(f'<text x="{x + bar / 2}" y="{height + 14}">{s["hour"]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def chain_check(store: Store, day: str | None = None) -> dict[str, Any]:
    """Each till's hash chain checked again over its stored sales (of `day`, or all),
    with the breaks found at ingestion (integrity events)."""
    q = select(sales.c.till_id, sales.c.body)
    if day:
        q = q.where(sales.c.day == day)
    per_till: dict[int, list[dict[str, Any]]] = {}
    with store.read() as conn:
        for till_id, body in conn.execute(q):
            per_till.setdefault(till_id, []).append(orjson.loads(body))
    breaks = [
        {"till_id": till_id, "seq": b.seq, "reason": b.reason}
        for till_id, records in sorted(per_till.items())
        for b in verify_chain(records)
    ]
    return {
        "ok": not breaks,
        "sales": sum(len(r) for r in per_till.values()),
        "tills": len(per_till),
        "breaks": breaks,
        "recorded": integrity_list(store, 100),
    }


@router.get("/reports")
def report_page(request: Request, day: str = Query("", max_length=10)) -> Response:
    s = session_of(request)
    store = shop_of(request).store
    day = day or today()
    try:
        report = x_report(store, day)
    except ReportError as e:
        return page(request, "reports.html", s, 422, day=day, error=str(e), report=None)
    return page(
        request,
        "reports.html",
        s,
        day=day,
        error=None,
        report=report,
        chart=chart_svg(hourly(store, day)),
        chain=chain_check(store, day),
    )


@router.post("/reports/z")
async def report_z(request: Request) -> Response:
    s, form = await form_of(request)
    day = str(form.get("day", "")) or today()
    try:
        report, _made = await run_in_threadpool(close_day, shop_of(request).store, day)
    except ReportError as e:
        s.flash.append(str(e))
        return redirect(f"{BASE}/reports")
    s.flash.append(f"Z {report['number']}: {day}")
    return redirect(f"{BASE}/reports/z/{day}")


@router.get("/reports/{kind}/{day}.csv")
def report_download(request: Request, kind: str, day: str) -> Response:
    session_of(request)
    store = shop_of(request).store
    try:
        report = x_report(store, day) if kind == "x" else stored_z(store, day)
    except ReportError:
        report = None
    if report is None or kind not in ("x", "z"):
        return secure(Response("no such report\n", 404, media_type="text/plain"))
    name = f"{kind.upper()}-{report.get('number', '')}-{day}.csv".replace("--", "-")
    response = Response(report_csv(report), media_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return secure(response)


@router.get("/reports/z/{day}")
def report_z_page(request: Request, day: str) -> Response:
    s = session_of(request)
    store = shop_of(request).store
    report = stored_z(store, day)
    if report is None:
        return page(request, "missing.html", s, 404, what=f"Z {day}")
    return page(request, "reports.html", s, day=day, error=None, report=report,
                chart=chart_svg(hourly(store, day)), chain=chain_check(store, day))  # fmt: skip


def stored_z(store: Store, day: str) -> dict[str, Any] | None:
    """The Z report of a day already closed, or None (never closes one)."""
    if day not in {z["day"] for z in list_z(store)}:
        return None
    return close_day(store, day)[0]


def report_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["report", report["kind"], report.get("number", ""), report["day"]])
    w.writerow(["sales", report["sales"], "total", f"{report['total'] / 100:.2f}"])
    w.writerow([])
    w.writerow(["till_id", "name", "sales", "total", "first_seq", "last_seq"])
    for t in report["tills"]:
        w.writerow([t["till_id"], t["name"], t["sales"], f"{t['total'] / 100:.2f}",
                    t["first_seq"], t["last_seq"]])  # fmt: skip
    w.writerow([])
    w.writerow(["payment", "count", "amount"])
    for p in report["payments"]:
        w.writerow([p["method"], p["count"], f"{p['amount'] / 100:.2f}"])
    w.writerow([])
    w.writerow(["vat_rate", "gross", "net", "vat"])
    for v in report["vat"]:
        w.writerow([v["label"], f"{v['gross'] / 100:.2f}", f"{v['net'] / 100:.2f}",
                    f"{v['vat'] / 100:.2f}"])  # fmt: skip
    for text in report.get("pending", []):
        w.writerow(["pending", text])
    return out.getvalue()


@router.get("/journal")
def journal_page(
    request: Request,
    day: str = Query("", max_length=10),
    till: int | None = Query(None, ge=1, le=2**63 - 1),
    seq: int | None = Query(None, ge=1, le=2**63 - 1),
    page_no: int = Query(1, alias="page", ge=1, le=100000),
) -> Response:
    s = session_of(request)
    store = shop_of(request).store
    day = day or today()
    q = select(sales.c.body).where(sales.c.day == day)
    if till is not None:
        q = q.where(sales.c.till_id == till)
    if seq is not None:
        q = select(sales.c.body).where(sales.c.seq == seq)
        if till is not None:
            q = q.where(sales.c.till_id == till)
    q = q.order_by(sales.c.till_id, sales.c.seq).limit(101).offset((page_no - 1) * 100)
    with store.read() as conn:
        rows = [orjson.loads(b) for b in conn.execute(q).scalars()]
    return page(
        request,
        "journal.html",
        s,
        day=day,
        till=till,
        seq=seq,
        page_no=page_no,
        more=len(rows) > 100,
        rows=rows[:100],
        conflicts=conflict_list(store, 100),
        quarantined=quarantine_list(store, 100),
    )
