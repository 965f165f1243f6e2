"""Documents -> ESC/POS bytes, through python-escpos, with a fixed code page.

Every job starts with ESC @ (the printer's defaults) and ESC t 19: code page
CP858, Latin-1 with the euro sign at 0xD5, so €, é, à, ç print right on any
ESC/POS printer. python-escpos's automatic code page switching is off; a
character CP858 lacks prints as "?". Control characters in texts (an ESC in
an article name) print as spaces: a document's text never becomes a command.
Style commands are sent only when the style changes.
"""

from __future__ import annotations

import functools
import textwrap
from dataclasses import dataclass
from typing import Any

from . import escpos_lib
from .document import (
    PLAIN,
    Barcode,
    Columns,
    Cut,
    Document,
    Feed,
    Logo,
    QrCode,
    Rule,
    Style,
    Text,
)

CODE_PAGE = "CP858"
CODE_PAGE_NUMBER = 19  # ESC t 19: CP858 in Epson's table, which ESC/POS printers follow
_CONTROL = {c: " " for c in (*range(0x20), 0x7F)}


@dataclass(frozen=True)
class Paper:
    """The paper and head: python-escpos profile, characters a line (font A), dots a line."""

    profile: str
    columns: int
    dots: int


PAPER_80MM = Paper("TM-T20II", 48, 576)
PAPER_80MM_42 = Paper("TM-T88V", 42, 512)
PAPER_58MM = Paper("POS-5890", 32, 384)
PAPERS = {"80mm": PAPER_80MM, "80mm-42": PAPER_80MM_42, "58mm": PAPER_58MM}


def clean(text: str) -> str:
    return text.translate(_CONTROL)


class _Writer:
    """One render: the python-escpos Dummy and the style the printer is in."""

    def __init__(self, paper: Paper) -> None:
        self.paper = paper
        self.p = escpos_lib.load().Dummy(profile=paper.profile)
        self.p.hw("INIT")  # ESC @: the printer's defaults, whatever the last job left
        # ESC t 19 on every paper: some profiles list CP858 under a second number too
        # (POS-5890: 19 and 53) and python-escpos would take the last one
        self.p.magic.encoder.codepages[CODE_PAGE] = CODE_PAGE_NUMBER
        self.p.charcode(CODE_PAGE)  # ESC t n, and no switching after it
        self.align = "left"
        self.style = PLAIN

    def set(self, align: str, style: Style) -> None:
        kw: dict[str, Any] = {}
        if align != self.align:
            kw["align"] = align
        s = self.style
        if style.bold != s.bold:
            kw["bold"] = style.bold
        if style.underline != s.underline:
            kw["underline"] = int(style.underline)
        if style.invert != s.invert:
            kw["invert"] = style.invert
        if (style.width, style.height) != (s.width, s.height):
            kw.update(custom_size=True, width=style.width, height=style.height)
        if kw:
            self.p.set(**kw)
        self.align, self.style = align, style

    def line(self, text: str, align: str = "left", style: Style = PLAIN) -> None:
        self.set(align, style)
        self.p.text(text + "\n")

    def columns_for(self, style: Style) -> int:
        return max(1, self.paper.columns // style.width)


def _text(w: _Writer, b: Text) -> None:
    width = w.columns_for(b.style)
    for raw in b.text.split("\n"):
        for line in textwrap.wrap(clean(raw), width) or [""]:
            w.line(line, b.align, b.style)


def layout_columns(b: Columns, width: int) -> list[str]:
    """The lines of a row: first cell wrapped in the room left, the others on line one."""
    cells = [clean(c) for c in b.cells]
    widths = list(b.widths) or [None] * len(cells)
    aligns = list(b.aligns) or ["left"] + ["right"] * (len(cells) - 1)
    for i in range(1, len(cells)):
        widths[i] = widths[i] if widths[i] is not None else len(cells[i])
    rest = width - sum(w for w in widths[1:] if w is not None) - (len(cells) - 1)
    widths[0] = min(widths[0], rest) if widths[0] is not None else rest
    widths[0] = max(widths[0], 1)
    first = textwrap.wrap(cells[0], widths[0]) or [""]
    pad = {"left": str.ljust, "right": str.rjust, "center": str.center}
    out = []
    for n, part in enumerate(first):
        row = [pad[aligns[0]](part, widths[0])]
        for i in range(1, len(cells)):
            cell = cells[i][: widths[i]] if n == 0 else ""
            row.append(pad[aligns[i]](cell, widths[i]))  # type: ignore[arg-type]
        out.append(" ".join(row).rstrip())
    return out


def _columns(w: _Writer, b: Columns) -> None:
    for line in layout_columns(b, w.columns_for(b.style)):
        w.line(line, "left", b.style)


def _barcode(w: _Writer, b: Barcode) -> None:
    w.set("center", PLAIN)
    data = b.data if b.symbology == "EAN13" else "{B" + b.data.replace("{", "{{")
    # _hw_barcode rather than barcode(): the public method print()s to stdout,
    # which is the headless till's event channel
    w.p._hw_barcode(
        data, b.symbology, b.height, b.module, "BELOW" if b.text_below else "OFF",
        "A", True, None, b.symbology == "EAN13",
    )  # fmt: skip
    w.p.text("\n")


def _qr(w: _Writer, b: QrCode) -> None:
    w.set("center", PLAIN)
    from escpos import constants  # loaded by the writer already

    level = getattr(constants, f"QR_ECLEVEL_{b.level}")
    w.p.qr(b.data, ec=level, size=b.size, native=True)
    w.p.text("\n")


@functools.lru_cache(maxsize=16)
def _logo_image(logo: Logo):
    from PIL import Image

    inverted = bytes(x ^ 0xFF for x in logo.raster)  # Pillow's "1": bit set = white
    return Image.frombytes("1", (logo.width, logo.height), inverted)


def _logo(w: _Writer, b: Logo) -> None:
    w.set("left", PLAIN)
    if b.width > w.paper.dots:
        raise ValueError(f"logo {b.width} dots wide; the paper has {w.paper.dots}")
    w.p.image(_logo_image(b), impl="bitImageRaster", center=True)


def render(doc: Document, paper: Paper = PAPER_80MM) -> bytes:
    """The ESC/POS bytes of a document for this paper."""
    w = _Writer(paper)
    for b in doc.blocks:
        if isinstance(b, Text):
            _text(w, b)
        elif isinstance(b, Columns):
            _columns(w, b)
        elif isinstance(b, Rule):
            w.line(b.char * paper.columns)
        elif isinstance(b, Barcode):
            _barcode(w, b)
        elif isinstance(b, QrCode):
            _qr(w, b)
        elif isinstance(b, Logo):
            _logo(w, b)
        elif isinstance(b, Feed):
            w.p.print_and_feed(b.lines)
        elif isinstance(b, Cut):
            w.set("left", PLAIN)
            w.p.cut(mode="PART" if b.partial else "FULL")
        else:
            raise TypeError(f"not a document block: {b!r}")
    return w.p.output


def drawer_kick(pin: int, on_ms: int, off_ms: int) -> bytes:
    """ESC p: a pulse on the kick connector's pin 2 or 5 (times in 2 ms steps)."""
    if pin not in (2, 5):
        raise ValueError("the drawer is on pin 2 or pin 5 of the kick connector")
    if not (2 <= on_ms <= 510 and 2 <= off_ms <= 510):
        raise ValueError("pulse times are 2 to 510 ms")
    p = escpos_lib.load().Dummy()
    p.cashdraw([27, 112, 0 if pin == 2 else 1, on_ms // 2, off_ms // 2])
    return p.output
