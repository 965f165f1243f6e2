"""Money in integer cents: rounding, parsing and display."""

from __future__ import annotations

import re

__all__ = ["format_cents", "parse_cents", "round_half_up"]

_AMOUNT = re.compile(r"^\s*(-?)(\d{1,9})(?:[.,](\d{1,2}))?\s*(?:€|EUR)?\s*$")


def round_half_up(num: int, den: int) -> int:
    """Divide two integers, rounding halves away from zero (symmetric)."""
    if den == 0:
        raise ZeroDivisionError("division by zero")
    if den < 0:
        num, den = -num, -den
    sign = -1 if num < 0 else 1
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return sign * q


def parse_cents(text: str) -> int:
    """Read an amount as a person writes it: "12,50", "12.5", "3 €" -> cents."""
    m = _AMOUNT.match(text)
    if not m:
        raise ValueError(f"not an amount: {text!r}")
    sign, units, frac = m.groups()
    cents = int(units) * 100 + int((frac or "0").ljust(2, "0"))
    return -cents if sign else cents


def format_cents(cents: int, *, decimal: str = ",", symbol: str = " €") -> str:
    """1250 -> "12,50 €" (French); decimal="." and symbol="" for machines."""
    sign = "-" if cents < 0 else ""
    units, frac = divmod(abs(cents), 100)
    return f"{sign}{units}{decimal}{frac:02d}{symbol}"
