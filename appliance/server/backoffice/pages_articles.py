"""Back-office pages: login, language, articles (list, search, edit, archive) and
their CSV import and export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ..csv_import import CsvImportError, import_text, parse_articles_csv
from ..shop import shop_of
from ..storage import articles, barcodes, vat_rates
from .auth import COOKIE, LoginRefused, check_login
from .editing import FormErrors, article_form, article_page, choices, save_article, set_archived
from .web import BASE, form_of, office_of, page, redirect, secure, session_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
PRE = "autonome_pre"  # the login form's own CSRF cookie, before any session


def _cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name, value, path=BASE, httponly=True, secure=True, samesite="strict", max_age=None
    )


@router.get("/")
def home(request: Request) -> Response:
    session_of(request)
    return redirect(f"{BASE}/articles")


@router.get("/login")
def login_form(request: Request) -> Response:
    import secrets

    token = request.cookies.get(PRE) or secrets.token_urlsafe(24)
    response = page(request, "login.html", None, pre=token, error=None)
    _cookie(response, PRE, token)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    office = office_of(request)
    pre = request.cookies.get(PRE)
    cashier_id = str(form.get("cashier_id", "")).strip()[:64]
    secret = str(form.get("secret", ""))[:200]
    address = request.client.host if request.client else "?"
    error = None
    if not pre or form.get("csrf") != pre:
        error = ("stale", 0)
    else:
        try:
            office.guard.check(cashier_id, address)
            store = shop_of(request).store
            manager = await run_in_threadpool(check_login, store, cashier_id, secret)
            if manager is None:
                office.guard.failed(cashier_id, address)
                office.guard.check(cashier_id, address)  # the fifth locks at once
                error = ("bad", 0)
        except LoginRefused as e:
            error = ("locked", e.retry_s)
    if error is not None:
        status = {"stale": 403, "bad": 401, "locked": 429}[error[0]]
        return page(request, "login.html", None, status, pre=pre or "", error=error,
                    cashier_id=cashier_id)  # fmt: skip
    office.guard.succeeded(cashier_id)
    session = office.sessions.open(manager)
    response = redirect(f"{BASE}/articles")
    _cookie(response, COOKIE, session.sid)
    response.delete_cookie(PRE, path=BASE)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    s, _ = await form_of(request)
    office_of(request).sessions.close(s.sid)
    response = redirect(f"{BASE}/login")
    response.delete_cookie(COOKIE, path=BASE)
    return response


@router.get("/lang/{lang}")
def set_language(request: Request, lang: str, next: str = Query(f"{BASE}/articles")) -> Response:
    """A preference, not a write of the store: a plain link."""
    target = next if next.startswith(f"{BASE}/") and "//" not in next else f"{BASE}/articles"
    response = redirect(target)
    if lang in ("fr", "en"):
        response.set_cookie("lang", lang, path=BASE, secure=True, samesite="strict",
                            max_age=3600 * 24 * 365)  # fmt: skip
    return response


@router.get("/articles")
def article_list(
    request: Request,
    q: str = Query("", max_length=200),
    page_no: int = Query(1, alias="page", ge=1, le=100000),
    archived: bool = Query(False),
) -> Response:
    s = session_of(request)
    found = article_page(shop_of(request).store, q, page_no, archived)
    return page(request, "articles.html", s, q=q, archived=archived, **found)


def _edit_page(request, s, article, errors=None, status=200, created=False) -> Response:
    return page(request, "article.html", s, status, article=article, errors=errors or {},
                created=created, **choices(shop_of(request).store))  # fmt: skip


@router.get("/articles/new")
def article_new(request: Request) -> Response:
    s = session_of(request)
    blank = {"article_id": "", "name": "", "price": "", "vat_bp": 2000, "category": "",
             "barcodes": "", "screen_id": None, "colour": "#cccccc", "active": True}  # fmt: skip
    return _edit_page(request, s, blank, created=True)


@router.post("/articles/new")
async def article_create(request: Request) -> Response:
    s, form = await form_of(request)
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        aid = await run_in_threadpool(save_article, shop_of(request).store, None, fields)
    except FormErrors as e:
        return _edit_page(request, s, {**fields, "active": True}, e.errors, 422, created=True)
    s.flash.append("Saved. The tills have it within seconds.")
    return redirect(f"{BASE}/articles/{aid}")


@router.get("/articles/{article_id}")
def article_edit(request: Request, article_id: str) -> Response:
    s = session_of(request)
    found = article_form(shop_of(request).store, article_id)
    if found is None:
        return page(request, "missing.html", s, 404, what=article_id)
    return _edit_page(request, s, found)


@router.post("/articles/{article_id}")
async def article_update(request: Request, article_id: str) -> Response:
    s, form = await form_of(request)
    store = shop_of(request).store
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        await run_in_threadpool(save_article, store, article_id, fields)
    except FormErrors as e:
        kept = {**fields, "article_id": article_id, "active": True}
        return _edit_page(request, s, kept, e.errors, 422)
    s.flash.append("Saved. The tills have it within seconds.")
    return redirect(f"{BASE}/articles/{article_id}")


@router.post("/articles/{article_id}/archive")
async def article_archive(request: Request, article_id: str) -> Response:
    s, form = await form_of(request)
    restore = form.get("restore") == "1"
    if not await run_in_threadpool(set_archived, shop_of(request).store, article_id, not restore):
        return page(request, "missing.html", s, 404, what=article_id)
    if not restore:
        s.flash.append("Archived: no longer sold, its barcodes freed.")
    return redirect(f"{BASE}/articles/{article_id}")


# -- CSV ------------------------------------------------------------------------------


def line_errors(text: str, rates: set[int]) -> list[tuple[int, str]]:
    """Every bad line of a CSV file (parse_articles_csv stops at the first): each
    record is checked alone under the header, then the file as a whole."""
    text = text.lstrip("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return [(0, "the file holds no article")]
    errors: list[tuple[int, str]] = []
    start = 1
    for record in reader:
        line = start + 1
        start = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        out = io.StringIO()
        w = csv.writer(out, delimiter=delimiter)
        w.writerow(header)
        w.writerow(record)
        try:
            parse_articles_csv(out.getvalue(), rates)
        except CsvImportError as e:
            if e.line == 1 and not errors:  # the header itself
                return [(1, str(e).removeprefix("line 1: "))]
            errors.append((line, str(e).split(": ", 1)[-1]))
        if len(errors) >= 200:
            break
    if not errors:
        try:
            parse_articles_csv(text, rates)
        except CsvImportError as e:
            errors.append((e.line, str(e).split(": ", 1)[-1] if e.line else str(e)))
    return errors


@router.get("/import")
def import_form(request: Request) -> Response:
    return page(request, "import.html", session_of(request), errors=None, counts=None)


@router.post("/import")
async def import_csv(request: Request) -> Response:
    s, form = await form_of(request)
    upload = form.get("file")
    raw = await upload.read() if upload is not None and hasattr(upload, "read") else b""
    store = shop_of(request).store
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return page(request, "import.html", s, 422, errors=[(0, "the file is not UTF-8")],
                    counts=None)  # fmt: skip
    with store.read() as conn:
        rates = set(conn.execute(select(vat_rates.c.vat_bp)).scalars())
    errors = await run_in_threadpool(line_errors, text, rates)
    counts = None
    if not errors:
        try:
            counts = await run_in_threadpool(import_text, store, text)
        except CsvImportError as e:
            errors = [(e.line, str(e).split(": ", 1)[-1] if e.line else str(e))]
    status = 422 if errors else 200
    return page(request, "import.html", s, status, errors=errors, counts=counts)


@router.get("/articles.csv")
def export_csv(request: Request) -> Response:
    session_of(request)
    store = shop_of(request).store

    def rows() -> Iterator[str]:
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["article_id", "name", "price", "vat_bp", "category", "barcodes"])
        with store.read() as conn:
            codes: dict[str, list[str]] = {}
            for code, aid in conn.execute(select(barcodes.c.code, barcodes.c.article_id)):
                codes.setdefault(aid, []).append(code)
            q = select(articles).where(articles.c.active.is_(True)).order_by(articles.c.id)
            for n, r in enumerate(conn.execute(q)):
                price = f"{r.price // 100}.{r.price % 100:02d}"
                w.writerow([r.id, r.name, price, r.vat_bp, r.category,
                            "|".join(sorted(codes.get(r.id, [])))])  # fmt: skip
                if n % 1000 == 999:
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
        yield out.getvalue()

    response = StreamingResponse(rows(), media_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="articles.csv"'
    return secure(response)
