"""Importing articles from a CSV file, all or nothing.

Columns (header row, `,` or `;` separated): `article_id,name,price,vat_bp`
(or `vat` as a percentage: `5,5` / `5.5 %`), `category`, `barcodes` separated
by `|`. Prices accept `1,10` or `1.10`. An article that exists is updated and
its barcodes replaced. The first bad row stops the import with its line
number, and nothing is written.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from appliance.domain import parse_cents

from .deltas import record as record_delta
from .storage import Store, articles, barcodes, categories, vat_rates

__all__ = ["CsvImportError", "import_articles", "import_text", "parse_articles_csv"]

#: articles per delta of an import
DELTA_OPS = 1000

_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class CsvImportError(ValueError):
    """A CSV file that cannot be imported; `line` is its 1-based line number."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


def _vat_bp(row: dict[str, str]) -> int:
    if row.get("vat_bp", "").strip():
        text = row["vat_bp"].strip()
        if not text.isdigit():
            raise ValueError(f"vat_bp {text!r} is not a whole number of basis points")
        return int(text)
    text = row.get("vat", "").strip().rstrip("%").strip().replace(",", ".")
    m = re.fullmatch(r"(\d{1,2})(?:\.(\d{1,2}))?", text)
    if not m:
        raise ValueError(f"vat {row.get('vat', '')!r} is not a percentage like 5.5 or 20")
    return int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))


def parse_articles_csv(text: str, known_rates: set[int] | None = None) -> list[dict[str, Any]]:
    """The rows of a CSV file as articles; CsvImportError at the first bad line."""
    text = text.lstrip("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    fields = {(f or "").strip() for f in reader.fieldnames or []}
    missing = {"article_id", "name", "price", "category"} - fields
    if "vat_bp" not in fields and "vat" not in fields:
        missing.add("vat_bp or vat")
    if missing:
        raise CsvImportError(1, f"missing column(s): {', '.join(sorted(missing))}")
    out: list[dict[str, Any]] = []
    ids: dict[str, int] = {}
    codes: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(row.values()):
            continue
        try:
            aid = row["article_id"]
            if not _ID.match(aid):
                raise ValueError(f"article_id {aid!r} is empty or has odd characters")
            if aid in ids:
                raise ValueError(f"article {aid} is already on line {ids[aid]}")
            if not row["name"]:
                raise ValueError("the name is empty")
            price = parse_cents(row["price"])
            if price < 0:
                raise ValueError("a price cannot be negative")
            vat = _vat_bp(row)
            if known_rates and vat not in known_rates:
                raise ValueError(f"VAT {vat} bp is not a rate of this store")
            row_codes = [c.strip() for c in row.get("barcodes", "").split("|") if c.strip()]
            for c in row_codes:
                if not _CODE.match(c):
                    raise ValueError(f"barcode {c!r} has odd characters")
                if c in codes:
                    raise ValueError(f"barcode {c} is already on line {codes[c]}")
                codes[c] = line
        except ValueError as e:
            raise CsvImportError(line, str(e)) from None
        ids[aid] = line
        out.append(
            {
                "id": aid,
                "name": row["name"],
                "price": price,
                "vat_bp": vat,
                "category": row["category"],
                "barcodes": list(dict.fromkeys(row_codes)),
                "line": line,
            }
        )
    if not out:
        raise CsvImportError(0, "the file holds no article")
    return out


def import_articles(store: Store, path: Path | str) -> dict[str, int]:
    """Import a CSV file of articles in one transaction: counts, or CsvImportError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise CsvImportError(0, f"the file is not UTF-8: {e}") from None
    return import_text(store, text)


def import_text(store: Store, text: str) -> dict[str, int]:
    """Import the text of a CSV file of articles in one transaction (as import_articles)."""
    with store.read() as conn:
        rates = set(conn.execute(select(vat_rates.c.vat_bp)).scalars())
    rows = parse_articles_csv(text, rates)
    created = updated = 0
    with store.write() as conn:
        ids = [r["id"] for r in rows]
        existing: set[str] = set()
        for i in range(0, len(ids), 500):
            q = select(articles.c.id).where(articles.c.id.in_(ids[i : i + 500]))
            existing.update(conn.execute(q).scalars())
        owners: dict[str, str] = {}
        all_codes = [c for r in rows for c in r["barcodes"]]
        for i in range(0, len(all_codes), 500):
            q = select(barcodes.c.code, barcodes.c.article_id).where(
                barcodes.c.code.in_(all_codes[i : i + 500])
            )
            owners.update({c: a for c, a in conn.execute(q).all()})
        for r in rows:
            for c in r["barcodes"]:
                owner = owners.get(c)
                if owner is not None and owner != r["id"] and owner not in ids:
                    raise CsvImportError(r["line"], f"barcode {c} already belongs to {owner}")
        cats = set(conn.execute(select(categories.c.id)).scalars())
        position = conn.execute(select(func.count()).select_from(categories)).scalar() or 0
        for r in rows:
            if r["category"] and r["category"] not in cats:
                cats.add(r["category"])
                conn.execute(
                    categories.insert().values(
                        id=r["category"], name=r["category"], position=position
                    )
                )
                position += 1
        for i in range(0, len(ids), 500):
            conn.execute(delete(barcodes).where(barcodes.c.article_id.in_(ids[i : i + 500])))
        for r in rows:
            values = {k: r[k] for k in ("name", "price", "vat_bp", "category")}
            if r["id"] in existing:
                conn.execute(articles.update().where(articles.c.id == r["id"]).values(**values))
                updated += 1
            else:
                conn.execute(articles.insert().values(id=r["id"], active=True, **values))
                created += 1
        code_rows = [{"code": c, "article_id": r["id"]} for r in rows for c in r["barcodes"]]
        # codes moving from one imported article to another were freed just above
        for i in range(0, len(code_rows), 500):
            part = code_rows[i : i + 500]
            conn.execute(delete(barcodes).where(barcodes.c.code.in_([c["code"] for c in part])))
            conn.execute(barcodes.insert(), part)
        # the same change, for the tills online now (deltas.py), DELTA_OPS articles a delta
        ops = [
            {"op": "article", "article": {"article_id": r["id"], "name": r["name"],
             "price": r["price"], "vat_bp": r["vat_bp"], "category": r["category"],
             "barcodes": r["barcodes"]}}
            for r in rows
        ]  # fmt: skip
        for i in range(0, len(ops), DELTA_OPS):
            record_delta(conn, ops[i : i + DELTA_OPS])
    return {"created": created, "updated": updated, "barcodes": len(code_rows)}
