"""The nightly snapshot: the store's data as one TinyDB JSON document.

Tables `meta`, `articles`, `barcodes`, `screens`, `cashiers`, `vat`,
`printers`, each in TinyDB's layout `{"table": {"1": {...}, "2": {...}}}`.
The JSON is written directly with orjson (TinyDB's own API is far too slow
for 100,000 articles) to a temp file, fsync'd and renamed to
`snapshots/snapshot-<version>.json`. The version is an increasing integer;
the sha256 is of the file's bytes; the last three files are kept.

Each snapshot is signed: the Ed25519 signature of the file's bytes with the
server's `signing.key` is recorded beside its sha256 (column `signature`),
and a till installs nothing the key it got at enrolment does not verify.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, literal_column, select

from appliance.protocol.signing import sign
from appliance.system.files import atomic_write

from .catalogue import printer_list, screen_list
from .config import DataDir
from .deltas import latest_seq, prune_folded
from .identity import META_KEY as IDENTITY_KEY
from .storage import (
    Store,
    articles,
    barcodes,
    cashiers,
    categories,
    now_iso,
    snapshots,
    vat_rates,
)
from .tables import floor_plan_meta
from .till_rules import rules_meta

__all__ = [
    "build_snapshot",
    "latest_snapshot",
    "sign_unsigned_snapshots",
    "snapshot_document",
    "snapshot_path",
]

log = logging.getLogger("autonome.server.snapshot")

TABLES = ("meta", "articles", "barcodes", "screens", "cashiers", "vat", "printers")


def _table(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return dict(zip(map(str, range(1, len(rows) + 1)), rows, strict=True))


def snapshot_document(store: Store, version: int, server_id: str, built_at: str) -> dict:
    """The document of one snapshot, read in one consistent transaction.

    Rows are fetched in storage order with fetchall (no ORDER BY, no join):
    that is what keeps 100,000 articles well under the 2 s target.
    """
    with store.read() as conn:
        q = select(
            articles.c.id, articles.c.name, articles.c.price, articles.c.vat_bp, articles.c.category
        ).where(articles.c.active.is_(True))
        # in the order they were made (the table's own order): the back office's index on
        # (active, name) would otherwise hand them over by name
        q = q.order_by(literal_column("articles.rowid"))
        delta_seq = latest_seq(conn)  # the last change this transaction sees: folded in
        article_list = conn.execute(q).all()
        active = {row[0] for row in article_list}
        codes: dict[str, list[str]] = {}
        barcode_rows = []
        for code, aid in conn.execute(select(barcodes.c.code, barcodes.c.article_id)).all():
            if aid in active:
                codes.setdefault(aid, []).append(code)
                barcode_rows.append({"code": code, "article_id": aid})
        no_codes: list[str] = []
        article_rows = [
            {
                "article_id": aid,
                "name": name,
                "price": price,
                "vat_bp": bp,
                "category": cat,
                "barcodes": codes.get(aid, no_codes),
            }
            for aid, name, price, bp, cat in article_list
        ]
        cashier_rows = [
            {"cashier_id": c.id, "name": c.name, "role": c.role, "pin_hash": c.pin_hash}
            for c in conn.execute(
                select(cashiers).where(cashiers.c.active.is_(True)).order_by(cashiers.c.id)
            )
        ]
        vat_rows = [
            {"vat_bp": v.vat_bp, "label": v.label}
            for v in conn.execute(select(vat_rates).order_by(vat_rates.c.vat_bp.desc()))
        ]
        category_rows = [
            {"id": c.id, "name": c.name, "colour": c.colour, "position": c.position}
            for c in conn.execute(select(categories).order_by(categories.c.position))
        ]
        screen_rows = screen_list(conn)
        identity = store.get_meta(conn, IDENTITY_KEY)
        printer_rows = printer_list(conn)
        restaurant = floor_plan_meta(store, conn)
        rules = rules_meta(store, conn)
    meta = {
        "version": version,
        "built_at": built_at,
        "server_id": server_id,
        "delta_seq": delta_seq,
        "articles": len(article_rows),
        "categories": category_rows,
        "store": orjson.loads(identity) if identity else {},
        "rules": rules,  # the till rules (server/till_rules.py, domain.approval)
    }
    if restaurant:  # the floor plan and the modifiers (server/tables.py)
        meta["floor_plan"] = restaurant
    return {
        "meta": _table([meta]),
        "articles": _table(article_rows),
        "barcodes": _table(barcode_rows),
        "screens": _table(screen_rows),
        "cashiers": _table(cashier_rows),
        "vat": _table(vat_rows),
        "printers": _table(printer_rows),
    }


def _next_version(store: Store) -> int:
    with store.write() as conn:
        current = int(store.get_meta(conn, "snapshot_version", "0") or 0)
        newest = conn.execute(select(snapshots.c.version).order_by(snapshots.c.version.desc()))
        version = max(current, int(newest.scalar() or 0)) + 1
        store.set_meta(conn, "snapshot_version", str(version))
    return version


def snapshot_path(data: DataDir, version: int) -> Path:
    return data.snapshots / f"snapshot-{version}.json"


def build_snapshot(store: Store, data: DataDir, server_id: str, keep: int = 3) -> dict[str, Any]:
    """Build, sign, write durably and record a new snapshot; its metadata."""
    key = data.signing_key()
    version = _next_version(store)
    built_at = now_iso()
    doc = snapshot_document(store, version, server_id, built_at)
    body = orjson.dumps(doc)
    sha = hashlib.sha256(body).hexdigest()
    signature = sign(key, body)
    data.snapshots.mkdir(parents=True, exist_ok=True)
    final = snapshot_path(data, version)
    atomic_write(final, body)
    meta = {
        "version": version,
        "sha256": sha,
        "size": len(body),
        "built_at": built_at,
        "signature": signature,
    }
    with store.write() as conn:
        delta_seq = doc["meta"]["1"]["delta_seq"]
        conn.execute(snapshots.insert().values(**meta, delta_seq=delta_seq, file=final.name))
        old = conn.execute(
            select(snapshots.c.version, snapshots.c.file)
            .order_by(snapshots.c.version.desc())
            .offset(max(keep, 1))
        ).all()
        for v, _name in old:
            conn.execute(snapshots.delete().where(snapshots.c.version == v))
        # the deltas every kept snapshot folds in are no longer needed by anybody
        folded = conn.execute(select(func.min(snapshots.c.delta_seq))).scalar()
        prune_folded(conn, int(folded or 0))
    for _v, name in old:
        with contextlib.suppress(FileNotFoundError):
            (data.snapshots / name).unlink()
    log.info("snapshot %d built: %d bytes, sha256 %s", version, len(body), sha)
    return meta


def sign_unsigned_snapshots(store: Store, data: DataDir) -> list[int]:
    """Sign the kept snapshots built before signing existed; the versions signed.

    The upgrade path: without it, tills would refuse every snapshot until the
    next nightly build. A file is signed only if its bytes still have the
    recorded sha256; one missing or changed is left unsigned (and so refused).
    """
    with store.read() as conn:
        rows = conn.execute(
            select(snapshots.c.version, snapshots.c.sha256, snapshots.c.file).where(
                snapshots.c.signature.is_(None)
            )
        ).all()
    if not rows:
        return []
    key = data.signing_key()
    signed = []
    for version, sha, name in rows:
        try:
            body = (data.snapshots / name).read_bytes()
        except FileNotFoundError:
            log.warning("snapshot %d: file %s missing, left unsigned", version, name)
            continue
        if hashlib.sha256(body).hexdigest() != sha:
            log.warning("snapshot %d: %s does not match its sha256, left unsigned", version, name)
            continue
        with store.write() as conn:
            conn.execute(
                snapshots.update()
                .where(snapshots.c.version == version, snapshots.c.signature.is_(None))
                .values(signature=sign(key, body))
            )
        signed.append(version)
        log.info("snapshot %d built before signing: signed now", version)
    return signed


def latest_snapshot(store: Store, version: int | None = None) -> dict[str, Any] | None:
    """Metadata of the newest snapshot (or of `version`), or None."""
    q = select(
        snapshots.c.version,
        snapshots.c.sha256,
        snapshots.c.size,
        snapshots.c.built_at,
        snapshots.c.signature,
    )
    q = q.where(snapshots.c.version == version) if version is not None else q
    with store.read() as conn:
        row = conn.execute(q.order_by(snapshots.c.version.desc()).limit(1)).first()
    return None if row is None else dict(row._mapping)
