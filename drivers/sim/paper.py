"""What a simulated printer printed, as text (for tests) and as a PNG (for people).

The PNG is drawn dot for dot at the printer's width (576 dots on 80 mm
paper), characters in 12 x 24 cells of the bundled DejaVu Sans Mono, without
anti-aliasing, like a thermal head. The same items always give the same
bytes.
"""

from __future__ import annotations

import functools
import io
from importlib import resources

from .escpos import BarcodeItem, CutItem, FeedItem, Image, Item, Line, QrItem

CELL_W, CELL_H, LINE_GAP = 12, 24, 6
FONT_FILE = "DejaVuSansMono.ttf"


def _pad(text: str, width: int, columns: int, align: str) -> str:
    room = max(0, columns - width)
    left = {"left": 0, "center": room // 2, "right": room}[align]
    return " " * left + text


def paper_text(items: list[Item], columns: int = 48) -> str:
    """One line a printed line; codes and pictures as [BRACKETS]; a cut as 8<---."""
    out: list[str] = []
    for item in items:
        if isinstance(item, Line):
            width = sum(len(s.text) * s.width for s in item.spans)
            out.append(_pad(item.text, width, columns, item.align).rstrip())
        elif isinstance(item, BarcodeItem):
            label = f"[{item.symbology} {item.data}]"
            out.append(_pad(label, len(label), columns, item.align))
        elif isinstance(item, QrItem):
            label = f"[QR {item.data}]"
            out.append(_pad(label, len(label), columns, item.align))
        elif isinstance(item, Image):
            label = f"[image {item.width}x{item.height}]"
            out.append(_pad(label, len(label), columns, item.align))
        elif isinstance(item, FeedItem):
            out.extend([""] * (item.dots // (CELL_H + LINE_GAP)))
        elif isinstance(item, CutItem):
            out.append("8<" + "-" * (columns - 2))
    return "\n".join(out) + "\n"


@functools.cache
def _font():
    from PIL import ImageFont

    path = resources.files("drivers.sim") / "fonts" / FONT_FILE
    with resources.as_file(path) as f:
        return ImageFont.truetype(str(f), 20)


@functools.cache
def _glyph(ch: str, bold: bool):
    from PIL import Image as PILImage
    from PIL import ImageDraw

    cell = PILImage.new("1", (CELL_W, CELL_H), 0)
    draw = ImageDraw.Draw(cell)
    draw.fontmode = "1"
    draw.text((0, 1), ch, fill=1, font=_font())
    if bold:
        draw.text((1, 1), ch, fill=1, font=_font())
    return cell


def _line_image(item: Line, dots: int):
    from PIL import Image as PILImage

    height = max((s.height for s in item.spans), default=1) * CELL_H
    strip = PILImage.new("1", (dots, height + LINE_GAP), 0)
    width = sum(len(s.text) * s.width * CELL_W for s in item.spans)
    room = max(0, dots - width)
    x = {"left": 0, "center": room // 2, "right": room}[item.align]
    for s in item.spans:
        w, h = CELL_W * s.width, CELL_H * s.height
        for ch in s.text:
            glyph = _glyph(ch, s.bold)
            if (w, h) != glyph.size:
                glyph = glyph.resize((w, h), PILImage.Resampling.NEAREST)
            if s.invert:
                glyph = glyph.point(lambda v: 0 if v else 1)
            if s.underline:
                glyph = glyph.copy()
                glyph.paste(1, (0, h - 2, w, h))
            strip.paste(glyph, (x, height - h))
            x += w
    return strip


def _bars(item: BarcodeItem) -> str:
    import barcode

    kind = {"EAN13": "ean13", "EAN8": "ean8", "CODE39": "code39"}.get(item.symbology, "code128")
    try:
        cls = barcode.get_barcode_class(kind)
        code = cls(item.data[:12] if kind == "ean13" else item.data)
        return code.build()[0]
    except Exception:  # a code python-barcode refuses: draw a placeholder
        return "10" * 40


def _centered(img, dots: int, align: str):
    from PIL import Image as PILImage

    strip = PILImage.new("1", (dots, img.height), 0)
    room = max(0, dots - img.width)
    strip.paste(img, ({"left": 0, "center": room // 2, "right": room}[align], 0))
    return strip


def _item_image(item: Item, dots: int):
    from PIL import Image as PILImage
    from PIL import ImageDraw

    if isinstance(item, Line):
        return _line_image(item, dots)
    if isinstance(item, Image):
        raw = PILImage.frombytes("1", (item.width, item.height), item.raster)
        return _centered(raw.crop((0, 0, min(item.width, dots), item.height)), dots, item.align)
    if isinstance(item, BarcodeItem):
        modules = _bars(item)
        text_h = CELL_H if item.hri else 0
        img = PILImage.new("1", (len(modules) * item.module, item.height + text_h), 0)
        draw = ImageDraw.Draw(img)
        for n, bit in enumerate(modules):
            if bit == "1":
                draw.rectangle((n * item.module, 0, (n + 1) * item.module - 1, item.height - 1), 1)
        if item.hri:
            hri = _line_image(Line([_span(item.data)], "center"), img.width)
            img.paste(hri.crop((0, 0, img.width, CELL_H)), (0, item.height))
        return _centered(img, dots, item.align)
    if isinstance(item, QrItem):
        import qrcode

        level = getattr(qrcode.constants, f"ERROR_CORRECT_{item.level}")
        qr = qrcode.QRCode(error_correction=level, box_size=1, border=4)
        qr.add_data(item.data)
        qr.make(fit=True)
        matrix = qr.get_matrix()
        img = PILImage.new("1", (len(matrix), len(matrix)), 0)
        img.putdata([1 if cell else 0 for row in matrix for cell in row])
        img = img.resize((img.width * item.module, img.height * item.module), 0)
        return _centered(img, dots, item.align)
    if isinstance(item, FeedItem):
        return PILImage.new("1", (dots, max(1, item.dots)), 0)
    if isinstance(item, CutItem):
        img = PILImage.new("1", (dots, 16), 0)
        draw = ImageDraw.Draw(img)
        for x in range(0, dots, 12):
            draw.line((x, 8, x + 6, 8), 1)
        return img
    raise TypeError(item)


def _span(text: str):
    from .escpos import Span

    return Span(text)


def paper_png(items: list[Item], dots: int = 576) -> bytes:
    """The items as a black-on-white PNG, `dots` wide."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    strips = [_item_image(item, dots) for item in items] or [PILImage.new("1", (dots, 1), 0)]
    page = PILImage.new("1", (dots, sum(s.height for s in strips) + 16), 0)
    y = 8
    for s in strips:
        page.paste(s, (0, y))
        y += s.height
    out = io.BytesIO()
    ImageOps.invert(page.convert("L")).save(out, format="PNG")
    return out.getvalue()
