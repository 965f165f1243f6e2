"""Which kitchen or bar printer an order's line goes to: the one rule the server's
spooler and the tills (for their direct printers) both follow."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["printers_by_category"]


def printers_by_category(printers: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """category -> the printer its lines go to: the first printer, in the given order
    (the store's, by printer id), whose `categories` hold it."""
    out: dict[str, dict[str, Any]] = {}
    for p in printers:
        for cat in p.get("categories") or []:
            out.setdefault(str(cat), p)
    return out
