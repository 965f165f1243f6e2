"""What every back-office page shares: the templates, the session, the CSRF check,
the language, and the security headers of each answer."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..shop import Shop, shop_of
from .auth import COOKIE, Guard, Session, Sessions, csrf_ok
from .i18n import language, translator

__all__ = [
    "BASE",
    "LoginNeeded",
    "Office",
    "form_of",
    "money",
    "office_of",
    "page",
    "redirect",
    "session_of",
]

BASE = "/admin"
HERE = Path(__file__).parent
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class LoginNeeded(Exception):
    """No valid session (or a write without its CSRF token): to the login page."""

    def __init__(self, stale: bool = False) -> None:
        super().__init__("login needed")
        self.stale = stale


class Office:
    """The back office's state in a running server: sessions, the login guard, and
    what the tills' delta polls said of them (version, delta number, when)."""

    def __init__(self) -> None:
        self.sessions = Sessions()
        self.guard = Guard()


def office_of(request: Request) -> Office:
    return request.app.state.office


def money(cents: int | None) -> str:
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}{cents // 100},{cents % 100:02d} €"


@cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    return env


def session_of(request: Request) -> Session:
    """The manager's session, or LoginNeeded. Only the cookie counts."""
    s = office_of(request).sessions.get(request.cookies.get(COOKIE))
    if s is None:
        raise LoginNeeded()
    return s


async def form_of(request: Request) -> tuple[Session, Any]:
    """A write: the session and the posted form, whose `csrf` must be the session's."""
    s = session_of(request)
    form = await request.form()
    token = form.get("csrf") or request.headers.get("x-csrf-token")
    if not csrf_ok(s, token if isinstance(token, str) else None):
        raise LoginNeeded(stale=True)
    return s, form


def lang_of(request: Request) -> str:
    return language(request.cookies.get("lang"), request.headers.get("accept-language"))


def secure(response: Response) -> Response:
    for k, v in HEADERS.items():
        response.headers.setdefault(k, v)
    return response


def page(
    request: Request,
    template: str,
    session: Session | None,
    status: int = 200,
    **ctx: Any,
) -> HTMLResponse:
    lang = lang_of(request)
    shop: Shop = shop_of(request)
    flash = list(session.flash) if session else []
    if session:
        session.flash.clear()
    html = (
        _env()
        .get_template(template)
        .render(
            t=translator(lang),
            lang=lang,
            base=BASE,
            session=session,
            csrf=session.csrf if session else "",
            flash=flash,
            server_id=shop.server_id,
            path=request.url.path,
            **ctx,
        )
    )
    return secure(HTMLResponse(html, status_code=status))


def redirect(to: str) -> Response:
    return secure(RedirectResponse(to, status_code=303))


def login_needed(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith(f"{BASE}/api/"):
        return secure(
            JSONResponse(
                {"error": "login_needed", "message": "log in to the back office first"}, 401
            )
        )
    if isinstance(exc, LoginNeeded) and exc.stale:
        t = translator(lang_of(request))
        text = t("Your session has expired, or the form is stale: log in again.")
        body = f'<!doctype html><p>{text}</p><p><a href="{BASE}/login">{t("Log in")}</a></p>'
        return secure(HTMLResponse(body, status_code=403))
    return redirect(f"{BASE}/login")
