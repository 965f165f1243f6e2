"""VAT on prices that include it, computed per rate on that rate's total."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .money import round_half_up

__all__ = ["FRENCH_RATES", "VatLine", "vat_breakdown", "vat_from_gross", "rate_label"]

#: French rates in basis points: 20 %, 10 %, 5.5 %, 2.1 %.
FRENCH_RATES: tuple[int, ...] = (2000, 1000, 550, 210)


def vat_from_gross(gross: int, vat_bp: int) -> int:
    """VAT contained in a gross (VAT-inclusive) amount, rounded half up."""
    if vat_bp < 0:
        raise ValueError("a VAT rate cannot be negative")
    return round_half_up(gross * vat_bp, 10000 + vat_bp)


def rate_label(vat_bp: int) -> str:
    """2000 -> "20 %", 550 -> "5.5 %"."""
    whole, frac = divmod(vat_bp, 100)
    return f"{whole} %" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0") + " %"


@dataclass(frozen=True)
class VatLine:
    vat_bp: int
    gross: int
    net: int
    vat: int

    def as_dict(self) -> dict[str, int]:
        return {"vat_bp": self.vat_bp, "gross": self.gross, "net": self.net, "vat": self.vat}


def vat_breakdown(gross_by_rate: Mapping[int, int]) -> list[VatLine]:
    """One line per rate, highest rate first; VAT on each rate's total."""
    lines = []
    for bp in sorted(gross_by_rate, reverse=True):
        gross = gross_by_rate[bp]
        vat = vat_from_gross(gross, bp)
        lines.append(VatLine(vat_bp=bp, gross=gross, net=gross - vat, vat=vat))
    return lines
