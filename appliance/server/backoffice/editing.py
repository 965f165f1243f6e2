"""The back office's reads and writes of the catalogue: the paged article list
with its search, an article saved (price, VAT, category, barcodes, its button on
a till page), archived or restored, and the cashiers. Each write records its
delta (../deltas.py) in the same transaction, for the tills online now."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select

from appliance.domain import hash_pin, parse_cents, rate_label

from ..catalogue import valid_ean13
from ..deltas import article_ops, button_op, cashier_op
from ..deltas import record as record_delta
from ..storage import (
    Store,
    articles,
    barcodes,
    cashiers,
    categories,
    manager_passwords,
    screen_buttons,
    screens,
    vat_rates,
)

__all__ = [
    "FormErrors",
    "PAGE_SIZE",
    "article_form",
    "article_page",
    "ensure_indexes",
    "save_article",
    "set_archived",
]

PAGE_SIZE = 50
COUNT_CAP = 10_000
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class FormErrors(ValueError):
    """Field -> message, shown beside each field; nothing was written."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def ensure_indexes(store: Store) -> None:
    """The index the article list pages through (by name, active ones first)."""
    with store.write() as conn:
        conn.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS ix_articles_active_name ON articles (active, name, id)"
        )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def article_page(
    store: Store, query: str = "", page: int = 1, archived: bool = False
) -> dict[str, Any]:
    """One page of articles by name; `query` matches a barcode or an id exactly, or a
    part of the name (case-insensitive)."""
    query = query.strip()
    page = max(1, page)
    cond = [articles.c.active.is_(not archived)]
    if query:
        like = f"%{_escape_like(query)}%"
        cond.append(
            or_(
                # SQLite's LIKE ignores the case of ASCII letters already; ilike's
                # lower() on every row costs three times as much
                articles.c.name.like(like, escape="\\"),
                articles.c.id == query,
                articles.c.id.in_(select(barcodes.c.article_id).where(barcodes.c.code == query)),
            )
        )
    with store.read() as conn:
        q = select(articles).where(*cond).order_by(articles.c.name, articles.c.id)
        rows = conn.execute(q.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        # counted up to COUNT_CAP: past it the page says "10000+", not a full scan
        capped = select(articles.c.id).where(*cond).limit(COUNT_CAP + 1).subquery()
        total = int(conn.execute(select(func.count()).select_from(capped)).scalar() or 0)
        ids = [r.id for r in rows]
        codes: dict[str, list[str]] = {}
        if ids:
            for code, aid in conn.execute(
                select(barcodes.c.code, barcodes.c.article_id).where(barcodes.c.article_id.in_(ids))
            ):
                codes.setdefault(aid, []).append(code)
    items = [
        {
            "article_id": r.id,
            "name": r.name,
            "price": r.price,
            "vat_bp": r.vat_bp,
            "vat": rate_label(r.vat_bp),
            "category": r.category,
            "barcodes": sorted(codes.get(r.id, [])),
        }
        for r in rows
    ]
    pages = max(1, -(-total // PAGE_SIZE))
    return {"items": items, "total": total, "page": page, "pages": pages, "more": more}


def choices(store: Store) -> dict[str, Any]:
    """What the article form offers: VAT rates, categories, till pages."""
    with store.read() as conn:
        rates = [
            {"vat_bp": bp, "label": rate_label(bp)}
            for bp in conn.execute(select(vat_rates.c.vat_bp).order_by(vat_rates.c.vat_bp.desc()))
            .scalars()
            .all()
        ]
        cats = list(conn.execute(select(categories.c.id).order_by(categories.c.position)).scalars())
        pages = [
            {"screen_id": r.id, "name": r.name}
            for r in conn.execute(select(screens).order_by(screens.c.position))
        ]
    return {"rates": rates, "categories": cats, "screens": pages}


def article_form(store: Store, article_id: str) -> dict[str, Any] | None:
    """An article as its edit form shows it (archived ones too); None if unknown."""
    with store.read() as conn:
        row = conn.execute(select(articles).where(articles.c.id == article_id)).first()
        if row is None:
            return None
        codes = list(
            conn.execute(
                select(barcodes.c.code).where(barcodes.c.article_id == article_id)
            ).scalars()
        )
        button = conn.execute(
            select(screen_buttons).where(screen_buttons.c.article_id == article_id).limit(1)
        ).first()
    return {
        "article_id": row.id,
        "name": row.name,
        "price": f"{row.price // 100},{row.price % 100:02d}",
        "vat_bp": row.vat_bp,
        "category": row.category,
        "barcodes": "\n".join(sorted(codes)),
        "screen_id": button.screen_id if button else None,
        "colour": button.colour if button else "#cccccc",
        "active": bool(row.active),
    }


def _check(conn: Connection, form: dict[str, str], article_id: str | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    name = form.get("name", "").strip()
    if not 1 <= len(name) <= 200:
        errors["name"] = "a name of 1 to 200 characters"
    out["name"] = name
    try:
        out["price"] = parse_cents(form.get("price", ""))
        if not 0 <= out["price"] <= 10**11:
            errors["price"] = "a price from 0 to 1,000,000,000.00"
    except (ValueError, TypeError):
        errors["price"] = "a price like 1,10 or 1.10"
    rates = set(conn.execute(select(vat_rates.c.vat_bp)).scalars())
    try:
        out["vat_bp"] = int(form.get("vat_bp", ""))
        if rates and out["vat_bp"] not in rates:
            raise ValueError
    except ValueError:
        errors["vat_bp"] = "one of the store's VAT rates"
    category = form.get("category", "").strip()
    if len(category) > 64 or (category and not _ID.match(category)):
        errors["category"] = "letters, digits and - _ . : only, 64 at most"
    out["category"] = category
    codes = list(dict.fromkeys(c for c in re.split(r"[\s,;|]+", form.get("barcodes", "")) if c))
    for c in codes:
        if not _CODE.match(c):
            errors["barcodes"] = f"{c!r}: letters, digits and - _ . only"
        elif len(c) == 13 and c.isdigit() and not valid_ean13(c):
            errors["barcodes"] = f"{c}: the EAN-13 check digit is wrong"
    if codes and "barcodes" not in errors:
        taken = conn.execute(
            select(barcodes.c.code, barcodes.c.article_id).where(barcodes.c.code.in_(codes))
        ).all()
        for code, owner in taken:
            if owner != article_id:
                errors["barcodes"] = f"{code} already belongs to article {owner}"
    out["barcodes"] = codes
    screen = form.get("screen_id", "").strip()
    out["screen_id"] = None
    if screen:
        sid = int(screen) if screen.isdigit() else -1
        if conn.execute(select(screens.c.id).where(screens.c.id == sid)).first() is None:
            errors["screen_id"] = "not a till page of this store"
        out["screen_id"] = sid
    colour = form.get("colour", "#cccccc").strip() or "#cccccc"
    if not _COLOUR.match(colour):
        errors["colour"] = "a colour #rrggbb"
    out["colour"] = colour.lower()
    if errors:
        raise FormErrors(errors)
    return out


def _new_id(conn: Connection) -> str:
    n = int(conn.execute(select(func.count()).select_from(articles)).scalar() or 0) + 1
    while conn.execute(select(articles.c.id).where(articles.c.id == f"A{n:06d}")).first():
        n += 1
    return f"A{n:06d}"


def _place_button(conn: Connection, article_id: str, v: dict[str, Any]) -> None:
    current = conn.execute(
        select(screen_buttons).where(screen_buttons.c.article_id == article_id).limit(1)
    ).first()
    conn.execute(delete(screen_buttons).where(screen_buttons.c.article_id == article_id))
    if v["screen_id"] is None:
        return
    if current is not None and current.screen_id == v["screen_id"]:
        position = current.position
    else:
        top = conn.execute(
            select(func.max(screen_buttons.c.position)).where(
                screen_buttons.c.screen_id == v["screen_id"]
            )
        ).scalar()
        position = 0 if top is None else int(top) + 1
    conn.execute(
        screen_buttons.insert().values(
            screen_id=v["screen_id"],
            position=position,
            label=v["name"][:120],
            colour=v["colour"],
            article_id=article_id,
        )
    )


def save_article(store: Store, article_id: str | None, form: dict[str, str]) -> str:
    """Create (article_id None: the form may name it) or update an article; its id.
    FormErrors when a field is wrong, and then nothing is written."""
    with store.write() as conn:
        if article_id is None:
            wanted = form.get("article_id", "").strip()
            if wanted and not _ID.match(wanted):
                raise FormErrors({"article_id": "letters, digits and - _ . : only"})
            if wanted and _exists(conn, wanted):
                raise FormErrors({"article_id": f"article {wanted} already exists"})
            v = _check(conn, form, None)
            article_id = wanted or _new_id(conn)
            conn.execute(articles.insert().values(id=article_id, active=True, **_fields(v)))
        else:
            if not _exists(conn, article_id):
                raise FormErrors({"article_id": f"there is no article {article_id}"})
            v = _check(conn, form, article_id)
            conn.execute(articles.update().where(articles.c.id == article_id).values(**_fields(v)))
        if (
            v["category"]
            and not conn.execute(
                select(categories.c.id).where(categories.c.id == v["category"])
            ).first()
        ):
            n = conn.execute(select(func.count()).select_from(categories)).scalar() or 0
            cat = v["category"]
            conn.execute(categories.insert().values(id=cat, name=cat, position=n))
        conn.execute(delete(barcodes).where(barcodes.c.article_id == article_id))
        if v["barcodes"]:
            conn.execute(
                barcodes.insert(), [{"code": c, "article_id": article_id} for c in v["barcodes"]]
            )
        _place_button(conn, article_id, v)
        active = conn.execute(select(articles.c.active).where(articles.c.id == article_id)).scalar()
        ops = article_ops(conn, [article_id])
        if active:
            ops.append(button_op(conn, article_id))
        record_delta(conn, ops)
    return article_id


def _exists(conn: Connection, article_id: str) -> bool:
    found = conn.execute(select(articles.c.id).where(articles.c.id == article_id)).first()
    return found is not None


def _fields(v: dict[str, Any]) -> dict[str, Any]:
    return {k: v[k] for k in ("name", "price", "vat_bp", "category")}


def set_archived(store: Store, article_id: str, archived: bool) -> bool:
    """Archive (no longer sold: its buttons go, its barcodes are freed) or restore."""
    with store.write() as conn:
        done = conn.execute(
            articles.update().where(articles.c.id == article_id).values(active=not archived)
        )
        if done.rowcount != 1:
            return False
        if archived:
            conn.execute(delete(screen_buttons).where(screen_buttons.c.article_id == article_id))
            conn.execute(delete(barcodes).where(barcodes.c.article_id == article_id))
        record_delta(conn, article_ops(conn, [article_id]))
    return True


# -- cashiers and managers -------------------------------------------------------------


def cashier_list(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        with_pw = set(conn.execute(select(manager_passwords.c.cashier_id)).scalars())
        rows = conn.execute(select(cashiers).order_by(cashiers.c.role.desc(), cashiers.c.id)).all()
    return [
        {
            "cashier_id": r.id,
            "name": r.name,
            "role": r.role,
            "active": bool(r.active),
            "password": r.id in with_pw,
        }  # fmt: skip
        for r in rows
    ]


def create_cashier(store: Store, form: dict[str, str]) -> str:
    cid, name = form.get("cashier_id", "").strip(), form.get("name", "").strip()
    role, pin = form.get("role", "cashier"), form.get("pin", "")
    errors = {}
    if not _ID.match(cid):
        errors["cashier_id"] = "letters, digits and - _ . : only"
    if not 1 <= len(name) <= 120:
        errors["name"] = "a name of 1 to 120 characters"
    if role not in ("cashier", "manager"):
        errors["role"] = "cashier or manager"
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        errors["pin"] = "4 to 8 digits"
    if errors:
        raise FormErrors(errors)
    with store.write() as conn:
        if conn.execute(select(cashiers.c.id).where(cashiers.c.id == cid)).first():
            raise FormErrors({"cashier_id": f"{cid} already exists"})
        conn.execute(
            cashiers.insert().values(
                id=cid, name=name, role=role, pin_hash=hash_pin(pin), active=True
            )
        )
        record_delta(conn, [cashier_op(conn, cid)])
    return cid


def change_pin(store: Store, cashier_id: str, pin: str) -> None:
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise FormErrors({"pin": "4 to 8 digits"})
    with store.write() as conn:
        done = conn.execute(
            cashiers.update().where(cashiers.c.id == cashier_id).values(pin_hash=hash_pin(pin))
        )
        if done.rowcount != 1:
            raise FormErrors({"cashier_id": f"there is no cashier {cashier_id}"})
        record_delta(conn, [cashier_op(conn, cashier_id)])


def set_active(store: Store, cashier_id: str, active: bool) -> None:
    with store.write() as conn:
        done = conn.execute(
            cashiers.update().where(cashiers.c.id == cashier_id).values(active=active)
        )
        if done.rowcount != 1:
            raise FormErrors({"cashier_id": f"there is no cashier {cashier_id}"})
        record_delta(conn, [cashier_op(conn, cashier_id)])
