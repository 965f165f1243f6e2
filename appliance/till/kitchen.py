"""Kitchen and bar tickets the till prints itself: which lines go to which printer.

A line goes to the first printer of the snapshot's `printers` table whose
`categories` hold the line's category (the server routes the same way). The
till prints a line itself when that printer is marked `direct` in the
snapshot and configured in this till's devices.toml ([[kitchen]]); every
other line goes to the server, which refuses a category without a printer.
"""

from __future__ import annotations

from typing import Any

__all__ = ["by_category", "split_direct"]


def by_category(printers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """category -> the printer (snapshot row) its lines go to."""
    out: dict[str, dict[str, Any]] = {}
    for p in printers:
        for cat in p.get("categories") or []:
            out.setdefault(str(cat), p)
    return out


def split_direct(
    lines: list[dict[str, Any]], printers: list[dict[str, Any]], local: set[str] | frozenset[str]
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """(printer id -> the lines this till prints there, the lines for the server).

    `local`: the ids of the direct printers configured on this till."""
    routes = by_category(printers)
    direct: dict[str, list[dict[str, Any]]] = {}
    rest: list[dict[str, Any]] = []
    for line in lines:
        printer = routes.get(str(line.get("category") or ""))
        pid = str(printer.get("printer_id")) if printer else ""
        if printer is not None and printer.get("direct") and pid in local:
            direct.setdefault(pid, []).append(line)
        else:
            rest.append(line)
    return direct, rest
