"""The printer's status from DLE EOT 1, 2 and 4, and what to tell the cashier.

Each answer is one byte with bits 1 and 4 set and bits 0 and 7 clear; a byte
that is not shaped so is not a status (a stray answer, noise) and is refused.

- DLE EOT 1 (printer): bit 2 drawer connector pin 3 high, bit 3 offline.
- DLE EOT 2 (offline cause): bit 2 cover open, bit 5 stopped by paper end,
  bit 6 error.
- DLE EOT 4 (paper roll sensor): bits 2-3 near end, bits 5-6 paper end.
"""

from __future__ import annotations

from dataclasses import dataclass

DLE_EOT = b"\x10\x04"

MESSAGES = {
    "printer_unreachable": "The receipt printer cannot be reached: check that it is on and "
    "its cable is plugged in.",
    "printer_not_answering": "The receipt printer does not answer: switch it off and on again.",
    "cover_open": "The receipt printer's cover is open: close it.",
    "paper_out": "The receipt printer is out of paper: put in a new roll.",
    "printer_offline": "The receipt printer is offline (error): check it, then switch it off "
    "and on again.",
    "paper_near_end": "The receipt paper is running low: have a new roll ready.",
}


class StatusError(ValueError):
    """A byte that is not a DLE EOT answer."""


def query(n: int) -> bytes:
    return DLE_EOT + bytes([n])


def check(byte: int) -> int:
    if byte & 0x93 != 0x12:
        raise StatusError(f"0x{byte:02x} is not a status byte")
    return byte


@dataclass(frozen=True)
class PrinterStatus:
    offline: bool = False
    cover_open: bool = False
    paper_out: bool = False
    paper_near_end: bool = False
    error: bool = False
    drawer_pin3_high: bool = False

    @classmethod
    def from_bytes(cls, printer: int, offline_cause: int, paper: int) -> PrinterStatus:
        printer, offline_cause, paper = check(printer), check(offline_cause), check(paper)
        return cls(
            offline=bool(printer & 0x08),
            cover_open=bool(offline_cause & 0x04),
            paper_out=bool(offline_cause & 0x20) or paper & 0x60 == 0x60,
            paper_near_end=bool(paper & 0x0C),
            error=bool(offline_cause & 0x40),
            drawer_pin3_high=bool(printer & 0x04),
        )

    @property
    def can_print(self) -> bool:
        return not (self.offline or self.cover_open or self.paper_out or self.error)

    @property
    def problems(self) -> list[str]:
        """Codes of what is wrong, the blocking ones first (`MESSAGES` says them)."""
        out = []
        if self.cover_open:
            out.append("cover_open")
        if self.paper_out:
            out.append("paper_out")
        if self.error or (self.offline and not out):
            out.append("printer_offline")
        if self.paper_near_end and not self.paper_out:
            out.append("paper_near_end")
        return out

    @property
    def message(self) -> str:
        """For the cashier: what is wrong, or empty when all is well."""
        return " ".join(MESSAGES[p] for p in self.problems)
