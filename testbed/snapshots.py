"""Signed snapshots as the store server builds them, for tests of the till."""

from __future__ import annotations

import hashlib

import orjson

from appliance.domain import hash_pin
from appliance.protocol.signing import load_private_key, new_private_key_pem, public_key_b64, sign

__all__ = ["ARTICLES", "OTHER_KEY", "PUBLIC", "SERVER_KEY", "make_snapshot", "sha", "signed"]

#: The store server's key, and another one (a rogue server's).
SERVER_KEY = load_private_key(new_private_key_pem())
OTHER_KEY = load_private_key(new_private_key_pem())
PUBLIC = public_key_b64(SERVER_KEY)

ARTICLES = [
    ("A001", "Baguette", 110, 550, "bread", ["3760000000011"]),
    ("A002", "Croissant", 120, 550, "viennoiserie", ["3760000000028", "2000000000022"]),
    ("A003", "Espresso", 150, 1000, "coffee", ["3760000000035"]),
]


def make_snapshot(
    version: int = 1,
    server_id: str = "srv-1",
    articles: list | None = None,
    cashiers: dict[str, str] | None = None,
) -> bytes:
    """A TinyDB JSON document as the server builds it."""
    rows = articles if articles is not None else ARTICLES
    arts, codes = {}, {}
    for i, (aid, name, price, vat, cat, barcodes) in enumerate(rows, 1):
        arts[str(i)] = {
            "article_id": aid,
            "name": name,
            "price": price,
            "vat_bp": vat,
            "category": cat,
            "barcodes": barcodes,
        }
        for code in barcodes:
            codes[str(len(codes) + 1)] = {"code": code, "article_id": aid}
    pins = cashiers if cashiers is not None else {"c1": "1234"}
    cash = {
        str(i): {"cashier_id": cid, "name": cid.upper(), "pin_hash": hash_pin(pin, "s", 1000)}
        for i, (cid, pin) in enumerate(pins.items(), 1)
    }
    doc = {
        "meta": {
            "1": {
                "version": version,
                "built_at": "2026-11-27T23:30:00+00:00",
                "server_id": server_id,
            }
        },
        "articles": arts,
        "barcodes": codes,
        "screens": {},
        "cashiers": cash,
        "vat": {"1": {"vat_bp": 550, "label": "5.5 %"}},
        "printers": {},
    }
    return orjson.dumps(doc)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signed(data: bytes, key=SERVER_KEY) -> dict[str, str]:
    """The keyword arguments of an install of `data` signed by `key` (the server's)."""
    return {"signature": sign(key, data), "signing_key": PUBLIC}
