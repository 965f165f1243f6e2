"""Back-office pages: cashiers and managers, the till rules (what needs a manager's
PIN, the PIN settings), and the tills (enrolment, revocation, live status)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from appliance.domain import parse_cents
from appliance.domain.approval import RulesError

from ..enrolment import create_code, list_tills, revoke
from ..gaps import pending
from ..shop import shop_of
from ..till_rules import get_till_rules, set_till_rules
from .auth import set_password
from .editing import FormErrors, cashier_list, change_pin, create_cashier, set_active
from .web import BASE, form_of, page, redirect, session_of

__all__ = ["router", "till_status"]

router = APIRouter(include_in_schema=False)

#: a till heard from within this many seconds is there
SEEN_S = 20.0
#: a till's delta long-poll lasts up to 25 s: one within this many seconds is online
POLLED_S = 40.0


@router.get("/cashiers")
def cashier_page(request: Request) -> Response:
    s = session_of(request)
    return page(request, "cashiers.html", s, people=cashier_list(shop_of(request).store),
                errors={})  # fmt: skip


@router.post("/cashiers")
async def cashier_write(request: Request) -> Response:
    s, form = await form_of(request)
    store = shop_of(request).store
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    action, cid = fields.get("action", ""), fields.get("cashier_id", "")
    try:
        if action == "create":
            await run_in_threadpool(create_cashier, store, fields)
        elif action == "pin":
            await run_in_threadpool(change_pin, store, cid, fields.get("pin", ""))
        elif action in ("disable", "enable"):
            if cid == s.cashier_id and action == "disable":
                raise FormErrors({"cashier_id": "you cannot disable yourself"})
            await run_in_threadpool(set_active, store, cid, action == "enable")
        elif action == "password":
            pw = fields.get("password", "")
            if len(pw) < 10:
                raise FormErrors({"password": "at least 10 characters"})
            people = {p["cashier_id"]: p for p in cashier_list(store)}
            if people.get(cid, {}).get("role") != "manager":
                raise FormErrors({"password": "only a manager has a back-office password"})
            await run_in_threadpool(set_password, store, cid, pw)
        else:
            raise FormErrors({"action": "unknown action"})
    except FormErrors as e:
        return page(request, "cashiers.html", s, 422, people=cashier_list(store), errors=e.errors)
    s.flash.append("Saved. The tills have it within seconds.")
    return redirect(f"{BASE}/cashiers")


#: the thresholds typed in euros (empty: never asked), then the whole numbers
AMOUNTS = ("discount_cents", "price_cut_cents", "void_cents", "cancel_cents")
NUMBERS = ("discount_percent", "pin_tries", "pin_lock_s")
SWITCHES = ("pin_only_login", "card_confirmation")


def _rules_view(rules: dict[str, Any]) -> dict[str, Any]:
    shown = dict(rules)
    for k in AMOUNTS:
        c = rules.get(k)
        shown[k] = "" if c is None else f"{int(c) // 100},{int(c) % 100:02d}"
    return shown


@router.get("/rules")
def rules_page(request: Request) -> Response:
    s = session_of(request)
    rules = get_till_rules(shop_of(request).store)
    return page(request, "rules.html", s, rules=_rules_view(rules), errors={})


@router.post("/rules")
async def rules_write(request: Request) -> Response:
    """Save the till rules, then build a snapshot: the tills take it at their next
    health check."""
    s, form = await form_of(request)
    shop = shop_of(request)
    fields = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    doc: dict[str, Any] = {k: k in fields for k in SWITCHES}
    errors: dict[str, str] = {}
    for k in AMOUNTS + NUMBERS:
        typed = fields.get(k, "")
        try:
            if not typed:
                doc[k] = None
            else:
                doc[k] = parse_cents(typed) if k in AMOUNTS else int(typed)
        except ValueError:
            errors[k] = "an amount like 10,00" if k in AMOUNTS else "a whole number"
    if doc.get("pin_tries") is None:
        doc.pop("pin_tries")
    if doc.get("pin_lock_s") is None:
        doc.pop("pin_lock_s")
    if not errors:
        try:
            await run_in_threadpool(set_till_rules, shop.store, doc)
        except RulesError as e:
            errors[str(e).split(":")[0]] = str(e)
    if errors:
        shown = _rules_view(get_till_rules(shop.store))
        return page(request, "rules.html", s, 422, rules=shown, errors=errors)
    await run_in_threadpool(shop.build_snapshot)
    s.flash.append("Saved. The tills have it within seconds.")
    return redirect(f"{BASE}/rules")


def _ago(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return (datetime.now(UTC) - datetime.fromisoformat(iso)).total_seconds()
    except ValueError:
        return None


def till_status(request: Request) -> list[dict[str, Any]]:
    """Each till as the server knows it: online / autonomous / unseen since, revoked;
    the last seq it reported and the sales still pending on it, its clock offset,
    the version and delta number its last delta poll gave."""
    shop = shop_of(request)
    polls: dict[int, dict[str, Any]] = getattr(request.app.state, "till_polls", {})
    gaps = {p["till_id"]: p["text"] for p in pending(shop.store)}
    out = []
    now = time.time()
    for t in list_tills(shop.store):
        tid = int(t["till_id"])  # type: ignore[arg-type]
        poll = polls.get(tid)
        polled = poll is not None and now - poll["at"] < POLLED_S
        ago = _ago(t["last_seen"])  # type: ignore[arg-type]
        seen = ago is not None and ago < SEEN_S
        if t["revoked"]:
            state = "revoked"
        elif (seen or polled) and tid in gaps:
            state = "autonomous"  # heard from, but holds sales it has not sent
        elif polled:
            state = "online"
        elif seen:
            state = "autonomous" if poll is not None else "online"
        else:
            state = "unseen" if t["last_seen"] else "never"
        out.append(
            {
                **t,
                "state": state,
                "pending": gaps.get(tid, ""),
                "clock_offset_s": shop.store.clock_offsets.get(tid),
                "version": (poll or {}).get("version") or "",
                "delta": (poll or {}).get("after"),
            }
        )
    return out


@router.get("/tills")
def till_page(request: Request) -> Response:
    s = session_of(request)
    return page(request, "tills.html", s, tills=till_status(request), code=None)


def _qr_svg(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return img.to_string(encoding="unicode")


@router.post("/tills/code")
async def till_code(request: Request) -> Response:
    s, form = await form_of(request)
    shop = shop_of(request)
    name = str(form.get("name", "")).strip()[:64]
    code = await run_in_threadpool(create_code, shop.store, name)
    server = str(request.base_url).rstrip("/")
    text = f"autonome://enrol?code={code}&fingerprint={shop.tls_fingerprint}&server={server}"
    shown = {"code": code, "name": name, "fingerprint": shop.tls_fingerprint,
             "server": server, "qr": _qr_svg(text)}  # fmt: skip
    return page(request, "tills.html", s, tills=till_status(request), code=shown)


@router.post("/tills/{till_id}/revoke")
async def till_revoke(request: Request, till_id: int) -> Response:
    s, _ = await form_of(request)
    await run_in_threadpool(revoke, shop_of(request).store, till_id)
    s.flash.append(f"till {till_id}: revoked")
    return redirect(f"{BASE}/tills")
