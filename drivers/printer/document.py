"""A printed document, built once: a receipt, a kitchen ticket, a report.

A document is a tuple of blocks and knows nothing of ESC/POS or of the paper
width: `render.render(doc, paper)` lays it out and turns it into bytes. It is
plain data (`to_dict`/`from_dict` give JSON), so a job can be kept, sent to
another machine (kitchen tickets through the server) and printed again.

Blocks: `Text` (a line, wrapped to the paper), `Columns` (an article and its
price), `Rule`, `Barcode` (EAN-13 or Code 128), `QrCode`, `Logo` (a 1-bit
picture), `Feed`, `Cut`.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field, replace
from typing import Any

ALIGNS = ("left", "center", "right")
QR_LEVELS = ("L", "M", "Q", "H")


def _check_align(align: str) -> None:
    if align not in ALIGNS:
        raise ValueError(f"align is one of {', '.join(ALIGNS)}, not {align!r}")


@dataclass(frozen=True)
class Style:
    bold: bool = False
    underline: bool = False
    width: int = 1  # character width multiplier, 1-8 (2: double width)
    height: int = 1  # character height multiplier, 1-8
    invert: bool = False  # white on black

    def __post_init__(self) -> None:
        if not (1 <= self.width <= 8 and 1 <= self.height <= 8):
            raise ValueError("text width and height are 1 to 8")


PLAIN = Style()
BOLD = Style(bold=True)
BIG = Style(bold=True, width=2, height=2)


@dataclass(frozen=True)
class Text:
    text: str
    align: str = "left"
    style: Style = PLAIN

    def __post_init__(self) -> None:
        _check_align(self.align)


@dataclass(frozen=True)
class Columns:
    """One row of cells. The first cell takes the room the others leave and
    wraps onto more lines; the others keep their width (or their length)."""

    cells: tuple[str, ...]
    widths: tuple[int | None, ...] = ()
    aligns: tuple[str, ...] = ()
    style: Style = PLAIN

    def __post_init__(self) -> None:
        if not self.cells:
            raise ValueError("a row has at least one cell")
        if self.widths and len(self.widths) != len(self.cells):
            raise ValueError("one width per cell (None: its length)")
        if self.aligns and len(self.aligns) != len(self.cells):
            raise ValueError("one align per cell")
        for a in self.aligns:
            _check_align(a)


@dataclass(frozen=True)
class Rule:
    char: str = "-"

    def __post_init__(self) -> None:
        if len(self.char) != 1:
            raise ValueError("a rule is drawn with one character")


def ean13_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Barcode:
    data: str
    symbology: str = "EAN13"  # or "CODE128"
    height: int = 80  # dots
    module: int = 2  # width of the narrowest bar, dots (2-6)
    text_below: bool = True

    def __post_init__(self) -> None:
        if self.symbology == "EAN13":
            if not (self.data.isdigit() and self.data.isascii() and len(self.data) in (12, 13)):
                raise ValueError(f"an EAN-13 is 12 or 13 digits, not {self.data!r}")
            check = ean13_check_digit(self.data[:12])
            if len(self.data) == 12:
                object.__setattr__(self, "data", self.data + check)
            elif self.data[12] != check:
                raise ValueError(f"EAN-13 {self.data}: the check digit should be {check}")
        elif self.symbology == "CODE128":
            if not 1 <= len(self.data) <= 120 or any(not 32 <= ord(c) < 127 for c in self.data):
                raise ValueError("a Code 128 here is 1 to 120 printable ASCII characters")
        else:
            raise ValueError(f"barcodes are EAN13 or CODE128, not {self.symbology!r}")
        if not (1 <= self.height <= 255 and 2 <= self.module <= 6):
            raise ValueError("barcode height is 1-255 dots, module 2-6 dots")


@dataclass(frozen=True)
class QrCode:
    data: str
    size: int = 6  # dots per module, 1-16
    level: str = "M"  # error correction: L, M, Q, H

    def __post_init__(self) -> None:
        if not self.data or len(self.data.encode()) > 2000:
            raise ValueError("a QR code holds 1 to 2000 bytes here")
        if not 1 <= self.size <= 16 or self.level not in QR_LEVELS:
            raise ValueError("QR size is 1-16, level one of L, M, Q, H")


@dataclass(frozen=True)
class Logo:
    """A 1-bit picture: rows of ceil(width/8) bytes, most significant bit
    first, 1 = a black dot (ESC/POS raster order)."""

    width: int
    height: int
    raster: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not (1 <= self.width <= 2048 and 1 <= self.height <= 2048):
            raise ValueError("a logo is 1 to 2048 dots each way")
        if len(self.raster) != (self.width + 7) // 8 * self.height:
            raise ValueError("raster size does not match width x height")

    @classmethod
    def from_image(cls, image: Any, max_width: int = 384) -> Logo:
        """From a Pillow image or a file path: scaled down to max_width dots,
        thresholded at mid grey (no dithering: crisp edges)."""
        from PIL import Image

        img = image if isinstance(image, Image.Image) else Image.open(image)
        img = img.convert("RGBA")
        flat = Image.new("RGBA", img.size, (255, 255, 255, 255))
        flat.alpha_composite(img)
        grey = flat.convert("L")
        if grey.width > max_width:
            grey = grey.resize((max_width, round(grey.height * max_width / grey.width)))
        black = grey.point(lambda v: 255 if v < 128 else 0).convert("1", dither=Image.Dither.NONE)
        return cls(black.width, black.height, black.tobytes())


@dataclass(frozen=True)
class Feed:
    lines: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.lines <= 255:
            raise ValueError("feed 0 to 255 lines")


@dataclass(frozen=True)
class Cut:
    partial: bool = True


Block = Text | Columns | Rule | Barcode | QrCode | Logo | Feed | Cut
_KINDS: dict[str, type] = {
    "text": Text, "columns": Columns, "rule": Rule, "barcode": Barcode,
    "qr": QrCode, "logo": Logo, "feed": Feed, "cut": Cut,
}  # fmt: skip
_NAMES = {v: k for k, v in _KINDS.items()}


@dataclass(frozen=True)
class Document:
    blocks: tuple[Block, ...]
    kind: str = "receipt"  # receipt, kitchen, bar, report...

    def with_banner(self, text: str) -> Document:
        """The same document under a banner line (e.g. DUPLICATA for a reprint),
        put after a leading logo."""
        at = 1 if self.blocks and isinstance(self.blocks[0], Logo) else 0
        banner = Text(text, "center", BIG)
        return replace(self, blocks=(*self.blocks[:at], banner, *self.blocks[at:]))

    def to_dict(self) -> dict[str, Any]:
        out = []
        for b in self.blocks:
            d = {"block": _NAMES[type(b)], **asdict(b)}
            if isinstance(b, Logo):
                d["raster"] = base64.b64encode(b.raster).decode()
            out.append(d)
        return {"kind": self.kind, "blocks": out}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        blocks: list[Block] = []
        for raw in data["blocks"]:
            d = dict(raw)
            kind = _KINDS[d.pop("block")]
            if "style" in d:
                d["style"] = Style(**d["style"])
            if kind is Columns:
                d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
            if kind is Logo:
                d["raster"] = base64.b64decode(d["raster"])
            blocks.append(kind(**d))
        return cls(tuple(blocks), data.get("kind", "receipt"))


class DocumentBuilder:
    """Blocks one call at a time: `DocumentBuilder().text(...).cut().build()`."""

    def __init__(self, kind: str = "receipt") -> None:
        self.kind = kind
        self.blocks: list[Block] = []

    def add(self, block: Block) -> DocumentBuilder:
        self.blocks.append(block)
        return self

    def text(self, text: str, align: str = "left", style: Style = PLAIN) -> DocumentBuilder:
        return self.add(Text(text, align, style))

    def columns(self, *cells: str, widths: tuple[int | None, ...] = (),
                aligns: tuple[str, ...] = (), style: Style = PLAIN) -> DocumentBuilder:  # fmt: skip
        return self.add(Columns(tuple(cells), tuple(widths), tuple(aligns), style))

    def rule(self, char: str = "-") -> DocumentBuilder:
        return self.add(Rule(char))

    def barcode(self, data: str, symbology: str = "EAN13", **kw: Any) -> DocumentBuilder:
        return self.add(Barcode(data, symbology, **kw))

    def qr(self, data: str, size: int = 6, level: str = "M") -> DocumentBuilder:
        return self.add(QrCode(data, size, level))

    def logo(self, logo: Logo) -> DocumentBuilder:
        return self.add(logo)

    def feed(self, lines: int = 1) -> DocumentBuilder:
        return self.add(Feed(lines))

    def cut(self, partial: bool = True) -> DocumentBuilder:
        return self.add(Cut(partial))

    def build(self) -> Document:
        return Document(tuple(self.blocks), self.kind)
