"""Who the store is, as its receipts say it: name, address, SIRET, VAT number;
and what its kitchen orders must name (`kitchen_order`: a table, a name).

Kept in the store's database (meta key `store_identity`, so a backup holds it)
and sent to the tills in every snapshot (`meta.store`): a till prints its
receipts from it, online or not.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from .storage import Store

__all__ = [
    "IDENTITY_FIELDS",
    "StoreIdentityError",
    "check_identity",
    "read_identity",
    "set_identity",
]

META_KEY = "store_identity"

#: field -> what it is (also the CLI's help)
IDENTITY_FIELDS = {
    "name": "the store's name, first line of every receipt",
    "address": "postal address, one receipt line each (a list)",
    "siret": "the 14-digit SIRET of the establishment",
    "vat_number": "intra-community VAT number (FR + 11 characters)",
    "phone": "telephone number",
    "timezone": "IANA time zone of the receipts' date and time (Europe/Paris)",
    "footer": "last line of the receipt",
    "kitchen_order": "what every kitchen order must name: table, name or table_or_name",
}

#: the values of `kitchen_order` (none: a kitchen order needs neither)
KITCHEN_ORDER_NEEDS = ("table", "name", "table_or_name")

DEFAULT_TIMEZONE = "Europe/Paris"


class StoreIdentityError(ValueError):
    """An identity that cannot go on a receipt: says which field and why."""


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _siret_ok(siret: str) -> bool:
    # La Poste's establishments (SIREN 356000000) other than its head office use
    # another check: the sum of the digits is a multiple of 5.
    if siret.startswith("356000000") and sum(int(c) for c in siret) % 5 == 0:
        return True
    return _luhn_ok(siret)


def _fr_vat_ok(number: str) -> bool:
    """A French number is FR, a 2-digit key, then the SIREN: key = (12 + 3 x (SIREN % 97)) % 97."""
    m = re.fullmatch(r"FR(\d{2})(\d{9})", number)
    if number.startswith("FR") and m is None:
        return bool(re.fullmatch(r"FR[0-9A-Z]{2}\d{9}", number))  # old alphabetic keys
    return m is None or int(m.group(1)) == (12 + 3 * (int(m.group(2)) % 97)) % 97


def check_identity(raw: dict[str, Any]) -> dict[str, Any]:
    """A clean copy of `raw` (unknown fields refused, texts trimmed, SIRET checked)."""
    if not isinstance(raw, dict):
        raise StoreIdentityError("the store identity is an object of fields")
    unknown = sorted(set(raw) - set(IDENTITY_FIELDS))
    if unknown:
        raise StoreIdentityError(
            f"unknown store field(s) {', '.join(unknown)}; known: {', '.join(IDENTITY_FIELDS)}"
        )
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        if key == "address":
            lines = value if isinstance(value, list) else str(value).split("\n")
            lines = [str(v).strip() for v in lines if str(v).strip()]
            if any(len(v) > 64 for v in lines) or len(lines) > 4:
                raise StoreIdentityError("address: at most 4 lines of 64 characters")
            out[key] = lines
            continue
        if not isinstance(value, str):
            raise StoreIdentityError(f"{key}: a text, not {type(value).__name__}")
        text = value.strip()
        if len(text) > 120:
            raise StoreIdentityError(f"{key}: at most 120 characters")
        if key == "siret":
            text = re.sub(r"[\s.]", "", text)
            if not re.fullmatch(r"\d{14}", text) or not _siret_ok(text):
                raise StoreIdentityError(
                    f"siret: {value!r} is not a SIRET (14 digits whose check digit is right)"
                )
        if key == "vat_number":
            text = re.sub(r"\s", "", text).upper()
            if not re.fullmatch(r"[A-Z]{2}[0-9A-Z]{2,13}", text) or not _fr_vat_ok(text):
                raise StoreIdentityError(f"vat_number: {value!r} is not a VAT number")
        if key == "kitchen_order" and text and text not in KITCHEN_ORDER_NEEDS:
            raise StoreIdentityError(
                f"kitchen_order: {value!r} is none of {', '.join(KITCHEN_ORDER_NEEDS)}"
            )
        if key == "timezone":
            try:
                ZoneInfo(text)
            except (ZoneInfoNotFoundError, ValueError):
                raise StoreIdentityError(f"timezone: unknown time zone {value!r}") from None
        if text:
            out[key] = text
    return out


def store_now(identity: dict[str, Any]) -> datetime:
    """Now, in the store's time zone (the one its tickets are printed in)."""
    try:
        zone = ZoneInfo(str(identity.get("timezone") or DEFAULT_TIMEZONE))
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    return datetime.now(zone)


def read_identity(store: Store) -> dict[str, Any]:
    """The stored identity ({} if none was ever set)."""
    with store.read() as conn:
        raw = store.get_meta(conn, META_KEY)
    return orjson.loads(raw) if raw else {}


def set_identity(store: Store, changes: dict[str, Any], *, replace: bool = False) -> dict[str, Any]:
    """Merge `changes` into the stored identity (an empty text clears a field); the
    result is checked as a whole before it is written. Tills see it at the next snapshot."""
    with store.write() as conn:
        raw = store.get_meta(conn, META_KEY)
        current = {} if replace or not raw else orjson.loads(raw)
        merged = {**current, **changes}
        clean = check_identity({k: v for k, v in merged.items() if v not in ("", [])})
        store.set_meta(conn, META_KEY, orjson.dumps(clean).decode())
    return clean
