"""The store's catalogue: articles and their barcodes, categories, till screens,
cashiers, VAT rates and printers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, delete, func, select

from appliance.domain import hash_pin, rate_label

from .deltas import article_dict, article_ops, button_op
from .deltas import record as record_delta
from .identity import META_KEY, check_identity
from .placement import place_article
from .storage import (
    Store,
    articles,
    barcodes,
    cashiers,
    categories,
    printers,
    screen_buttons,
    screens,
    vat_rates,
)

__all__ = [
    "CatalogueData",
    "CatalogueError",
    "article_by_barcode",
    "article_by_id",
    "catalogue_counts",
    "create_article",
    "ean13_check_digit",
    "load_catalogue",
    "printer_list",
    "screen_list",
    "valid_ean13",
]


class CatalogueError(ValueError):
    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def ean13_check_digit(first12: str) -> str:
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError("an EAN-13 starts with 12 digits")
    s = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - s % 10) % 10)


def valid_ean13(code: str) -> bool:
    return len(code) == 13 and code.isdigit() and ean13_check_digit(code[:12]) == code[12]


@dataclass
class CatalogueData:
    """Everything a store sells with, ready to load in one transaction."""

    categories: list[dict[str, Any]] = field(default_factory=list)  # id, name, colour, position
    vat_rates: list[int] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(
        default_factory=list
    )  # id, name, price, vat_bp, category
    barcodes: list[dict[str, str]] = field(default_factory=list)  # code, article_id
    screens: list[dict[str, Any]] = field(default_factory=list)  # name, colour, buttons[...]
    cashiers: list[dict[str, Any]] = field(default_factory=list)  # id, name, role, pin
    printers: list[dict[str, Any]] = field(default_factory=list)
    #: the store's identity for the receipts (see identity.py); None keeps the stored one
    store: dict[str, Any] | None = None


def load_catalogue(store: Store, data: CatalogueData) -> None:
    """Replace the store's catalogue with `data` (one transaction)."""
    cashier_rows = [
        {"id": c["id"], "name": c["name"], "role": c["role"], "pin_hash": hash_pin(c["pin"])}
        for c in data.cashiers
    ]
    with store.write() as conn:
        for table in (screen_buttons, screens, barcodes, articles, categories, vat_rates):
            conn.execute(delete(table))
        conn.execute(delete(cashiers))
        conn.execute(delete(printers))
        if data.vat_rates:
            conn.execute(
                vat_rates.insert(),
                [{"vat_bp": bp, "label": rate_label(bp)} for bp in data.vat_rates],
            )
        if data.categories:
            conn.execute(categories.insert(), data.categories)
        rows = [{**a, "active": a.get("active", True)} for a in data.articles]
        for i in range(0, len(rows), 20000):
            conn.execute(articles.insert(), rows[i : i + 20000])
        for i in range(0, len(data.barcodes), 20000):
            conn.execute(barcodes.insert(), data.barcodes[i : i + 20000])
        for pos, screen in enumerate(data.screens):
            sid = conn.execute(
                screens.insert().values(
                    name=screen["name"], position=pos, colour=screen.get("colour", "#cccccc")
                )
            ).inserted_primary_key[0]
            buttons = [{**b, "screen_id": sid} for b in screen["buttons"]]
            if buttons:
                conn.execute(screen_buttons.insert(), buttons)
        if cashier_rows:
            conn.execute(cashiers.insert(), cashier_rows)
        if data.store is not None:
            identity = orjson.dumps(check_identity(data.store)).decode()
            store.set_meta(conn, META_KEY, identity)
        for p in data.printers:
            conn.execute(
                printers.insert().values(
                    **{**p, "categories": orjson.dumps(p.get("categories", [])).decode()}
                )
            )


def article_by_id(store: Store, article_id: str) -> dict[str, Any] | None:
    with store.read() as conn:
        row = conn.execute(
            select(articles).where(articles.c.id == article_id, articles.c.active.is_(True))
        ).first()
        return None if row is None else article_dict(conn, row)


def article_by_barcode(store: Store, code: str) -> dict[str, Any] | None:
    with store.read() as conn:
        row = conn.execute(
            select(articles)
            .join(barcodes, barcodes.c.article_id == articles.c.id)
            .where(barcodes.c.code == code, articles.c.active.is_(True))
        ).first()
        return None if row is None else article_dict(conn, row)


def create_article(store: Store, item: dict[str, Any], *, place: bool = False) -> dict[str, Any]:
    """Create one article (fields of protocol.ArticleIn); CatalogueError when refused.
    `place`: on its category's page of the tills too (placement.py), `page` says where."""
    codes = list(dict.fromkeys(item.get("barcodes") or []))
    with store.write() as conn:
        known_rates = set(conn.execute(select(vat_rates.c.vat_bp)).scalars())
        if known_rates and item["vat_bp"] not in known_rates:
            rates = ", ".join(rate_label(r) for r in sorted(known_rates))
            raise CatalogueError(
                "unknown_vat_rate", f"VAT rate {item['vat_bp']} bp is not one of {rates}", 422
            )
        article_id = item.get("article_id") or _new_article_id(conn)
        if conn.execute(select(articles.c.id).where(articles.c.id == article_id)).first():
            raise CatalogueError("article_exists", f"article {article_id} already exists")
        if codes:
            taken = conn.execute(
                select(barcodes.c.code, barcodes.c.article_id).where(barcodes.c.code.in_(codes))
            ).first()
            if taken:
                raise CatalogueError(
                    "barcode_taken", f"barcode {taken.code} already belongs to {taken.article_id}"
                )
        category = item.get("category") or ""
        if (
            category
            and not conn.execute(select(categories.c.id).where(categories.c.id == category)).first()
        ):
            n = conn.execute(select(func.count()).select_from(categories)).scalar() or 0
            conn.execute(categories.insert().values(id=category, name=category, position=n))
        conn.execute(
            articles.insert().values(
                id=article_id,
                name=item["name"],
                price=item["price"],
                vat_bp=item["vat_bp"],
                category=category,
                active=True,
            )
        )
        if codes:
            conn.execute(barcodes.insert(), [{"code": c, "article_id": article_id} for c in codes])
        ops = article_ops(conn, [article_id])
        placed = None
        if place:
            placed, page = place_article(conn, article_id, item["name"], category)
            ops += [page] if page else []
            ops.append(button_op(conn, article_id))
        record_delta(conn, ops)
    return {
        **({"page": placed["screen_id"]} if placed is not None else {}),
        "article_id": article_id,
        "name": item["name"],
        "price": item["price"],
        "vat_bp": item["vat_bp"],
        "category": category,
        "barcodes": codes,
    }


def _new_article_id(conn: Connection) -> str:
    while True:
        candidate = f"N{secrets.token_hex(4).upper()}"
        if not conn.execute(select(articles.c.id).where(articles.c.id == candidate)).first():
            return candidate


def screen_list(conn: Connection) -> list[dict[str, Any]]:
    """Till screens: pages of buttons, in order."""
    pages: dict[int, dict[str, Any]] = {}
    for row in conn.execute(select(screens).order_by(screens.c.position, screens.c.id)):
        pages[row.id] = {
            "screen_id": row.id,
            "name": row.name,
            "position": row.position,
            "colour": row.colour,
            "buttons": [],
        }
    q = select(screen_buttons).order_by(screen_buttons.c.screen_id, screen_buttons.c.position)
    for b in conn.execute(q):
        if b.screen_id in pages:
            pages[b.screen_id]["buttons"].append(
                {
                    "position": b.position,
                    "label": b.label,
                    "colour": b.colour,
                    "article_id": b.article_id,
                }
            )
    return list(pages.values())


def printer_list(conn: Connection) -> list[dict[str, Any]]:
    return [
        {
            "printer_id": p.id,
            "name": p.name,
            "kind": p.kind,
            "address": p.address,
            "categories": orjson.loads(p.categories),
            "backup": p.backup,
            "direct": bool(p.direct),
        }
        for p in conn.execute(select(printers).order_by(printers.c.id))
    ]


def catalogue_counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
            for name, t in (
                ("articles", articles),
                ("barcodes", barcodes),
                ("categories", categories),
                ("screens", screens),
                ("cashiers", cashiers),
                ("printers", printers),
            )
        }
