"""One simulated ESC/POS printer, whichever wire reaches it (USB, TCP 9100, serial).

`PrinterCore.feed(data)` takes bytes as they arrive, in pieces of any size (a
command split across two writes waits for its end), and returns the bytes the
printer answers (DLE EOT status, GS I, GS r). The printer keeps its state
(code page, styles, alignment) until ESC @ or a power cycle resets it. What it
prints goes on `paper` as items; a cut and a drawer pulse are also `events`.

Real-time commands (DLE EOT n, DLE DC4 1 pulse, DLE DC4 8 clear buffers) are
acted on as bytes arrive, even inside another command's data, as real
printers do: a status query is answered even when the printer still waits for
the rest of an image cut off by a failed job, and DLE DC4 8 drops that rest.

Settable conditions: `paper_near_end`, `paper_out`, `cover_open`, `offline`
(an error). While paper is out, the cover open or the printer offline, what
it is sent is not printed (counted in `lost`); DLE EOT still answers, as real
printers do.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .drawer import SimDrawer

CODE_PAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252",
              17: "cp866", 18: "cp852", 19: "cp858"}  # fmt: skip
ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
CLEAR_BUFFERS = b"\x10\x14\x08\x01\x03\x14\x01\x06\x02\x08"


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    underline: bool = False
    width: int = 1
    height: int = 1
    invert: bool = False


@dataclass
class Line:
    spans: list[Span]
    align: str = "left"

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    raster: bytes  # rows of ceil(width/8) bytes, MSB first, 1 = black
    align: str = "left"


@dataclass(frozen=True)
class BarcodeItem:
    symbology: str
    data: str
    height: int
    module: int
    hri: bool
    align: str = "center"


@dataclass(frozen=True)
class QrItem:
    data: str
    module: int
    level: str
    align: str = "center"


@dataclass(frozen=True)
class FeedItem:
    dots: int


@dataclass(frozen=True)
class CutItem:
    partial: bool


Item = Line | Image | BarcodeItem | QrItem | FeedItem | CutItem
_BARCODES_A = {2: "EAN13", 3: "EAN8", 4: "CODE39", 73: "CODE128", 67: "EAN13", 68: "EAN8"}
_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
_QR_LEVEL = {48: "L", 49: "M", 50: "Q", 51: "H"}


@dataclass
class _Mode:
    code_page: int = 0
    bold: bool = False
    underline: bool = False
    width: int = 1
    height: int = 1
    invert: bool = False
    align: str = "left"
    barcode_height: int = 162
    barcode_module: int = 3
    hri: int = 0
    qr_module: int = 3
    qr_level: str = "L"
    qr_data: bytes = b""
    graphics: bytes = b""
    extra: dict[str, int] = field(default_factory=dict)


class PrinterCore:
    def __init__(self, columns: int = 48, dots: int = 576, drawer: SimDrawer | None = None):
        self.columns, self.dots = columns, dots
        self.drawer = drawer
        self.lock = threading.RLock()
        self.paper_near_end = False
        self.paper_out = False
        self.cover_open = False
        self.offline = False
        self.paper: list[Item] = []
        self.events: list[dict] = []
        self.unknown: list[bytes] = []
        self.lost = 0
        self.received = 0
        self.power_on()

    # -- conditions ----------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return not (self.paper_out or self.cover_open or self.offline)

    def power_on(self) -> None:
        """Back from a power cycle: default state, nothing half received."""
        with self.lock:
            self._buf = bytearray()
            self._rt = 0  # where the real-time scan of _buf goes on
            self._line: list[Span] = []
            self._col = 0
            self.mode = _Mode()

    def status(self, n: int) -> int:
        """The DLE EOT n answer: fixed bits 0x12 plus the conditions."""
        s = 0x12
        if n == 1:
            if self.drawer is not None and self.drawer.pin3_high:
                s |= 0x04
            if not self.ready:
                s |= 0x08
        elif n == 2:
            s |= (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
            s |= 0x40 if self.offline else 0
        elif n == 4:
            s |= 0x0C if self.paper_near_end or self.paper_out else 0
            s |= 0x60 if self.paper_out else 0
        return s

    # -- bytes in, answers out -------------------------------------------------------------
    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        with self.lock:
            self.received += len(data)
            self._buf += data
            self._realtime(out)
            i = 0
            while i < len(self._buf):
                n = self._step(i, out)
                if n == 0:
                    break
                i += n
            del self._buf[:i]
            self._rt = max(0, self._rt - i)
        return bytes(out)

    def _realtime(self, out: bytearray) -> None:
        buf = self._buf
        while True:
            j = buf.find(b"\x10", self._rt)
            if j < 0:
                self._rt = len(buf)
                return
            rest = len(buf) - j
            if rest < 3:
                self._rt = j
                return
            c, n = buf[j + 1], buf[j + 2]
            if c == 0x04 and 1 <= n <= 4:
                out.append(self.status(n))
            elif c == 0x14 and n == 1:
                if rest < 5:
                    self._rt = j
                    return
                self._pulse(2 if buf[j + 3] == 0 else 5, buf[j + 4] * 100, buf[j + 4] * 100)
            elif c == 0x14 and n == 8:
                if rest < len(CLEAR_BUFFERS):
                    self._rt = j
                    return
                if buf[j : j + len(CLEAR_BUFFERS)] == CLEAR_BUFFERS:
                    self.events.append({"event": "clear_buffers"})
                    del buf[: j + len(CLEAR_BUFFERS)]
                    self._line, self._col = [], 0
                    self._rt = 0
                    continue
            self._rt = j + 1

    def _step(self, i: int, out: bytearray) -> int:
        buf = self._buf
        b = buf[i]
        if b >= 0x20:
            j = i
            while j < len(buf) and buf[j] >= 0x20:
                j += 1
            self._text(bytes(buf[i:j]))
            return j - i
        if b == 0x0A:
            self._newline()
            return 1
        if b == 0x09:
            self._text(b" " * (8 - self._col % 8))
            return 1
        if b in (ESC, GS, FS, DLE):
            if len(buf) - i < 2:
                return 0
            handler = {ESC: self._esc, GS: self._gs, FS: self._fs, DLE: self._dle}[b]
            return handler(i, buf[i + 1], len(buf) - i, out)
        return 1  # NUL, CR, BEL, CAN...: nothing

    # -- ESC ------------------------------------------------------------------------------
    def _esc(self, i: int, c: int, have: int, out: bytearray) -> int:
        m = self.mode
        arg1 = {ord(x) for x in "t!E-aMdJeR{VrU %G3A+uT"}
        if c == ord("@"):
            self.events.append({"event": "init"})
            self._line, self._col = [], 0  # unprinted data is cleared
            self.mode = _Mode()
            return 2
        if c in (ord("2"), ord("<"), ord("L"), ord("S"), ord("i"), ord("m"), ord("v")):
            if c == ord("v"):  # transmit paper sensor status
                out.append(self.status(4))
            if c in (ord("i"), ord("m")):
                self._cut(partial=True)
            return 2
        if c == ord("p"):
            if have < 5:
                return 0
            pin, t1, t2 = self._buf[i + 2], self._buf[i + 3], self._buf[i + 4]
            self._pulse(2 if pin in (0, 48) else 5, t1 * 2, max(t1, t2) * 2)
            return 5
        if c in (ord("$"), ord("\\")):
            return 4 if have >= 4 else 0
        if c == ord("*"):
            if have < 5:
                return 0
            mm, k = self._buf[i + 2], self._buf[i + 3] + 256 * self._buf[i + 4]
            size = 5 + k * (3 if mm in (32, 33) else 1)
            return size if have >= size else 0
        if c == ord("D"):
            end = self._buf.find(b"\x00", i + 2)
            return 0 if end < 0 else end - i + 1
        if c == ord("c"):
            return 4 if have >= 4 else 0
        if c in arg1:
            if have < 3:
                return 0
            n = self._buf[i + 2]
            if c == ord("t"):
                m.code_page = n
            elif c == ord("!"):
                m.bold, m.underline = bool(n & 0x08), bool(n & 0x80)
                m.width, m.height = (2 if n & 0x20 else 1), (2 if n & 0x10 else 1)
            elif c == ord("E"):
                m.bold = bool(n & 1)
            elif c == ord("-"):
                m.underline = n in (1, 2, 49, 50)
            elif c == ord("a"):
                m.align = _ALIGN.get(n, "left")
            elif c == ord("d"):
                self._newline(flush_only=True)
                self._print(FeedItem(n * 30))
            elif c == ord("J"):
                self._newline(flush_only=True)
                self._print(FeedItem(n))
            elif c == ord("u"):  # transmit peripheral status: drawer pin 3
                out.append(1 if self.drawer is not None and self.drawer.pin3_high else 0)
            else:
                m.extra[chr(c)] = n
            return 3
        self.unknown.append(bytes(self._buf[i : i + 2]))
        return 2

    # -- GS -------------------------------------------------------------------------------
    def _gs(self, i: int, c: int, have: int, out: bytearray) -> int:
        m, buf = self.mode, self._buf
        if c == ord("V"):
            if have < 3:
                return 0
            mm = buf[i + 2]
            size = 4 if mm >= 65 else 3
            if have < size:
                return 0
            self._newline(flush_only=True)
            if size == 4:
                self._print(FeedItem(buf[i + 3]))
            self._cut(partial=mm in (1, 49, 66, 98, 104))
            return size
        if c == ord("k"):
            return self._barcode(i, have)
        if c == ord("("):
            if have < 5:
                return 0
            size = 5 + buf[i + 3] + 256 * buf[i + 4]
            if have < size:
                return 0
            self._gs_paren(buf[i + 2], bytes(buf[i + 5 : i + size]))
            return size
        if c == ord("v"):
            if have < 8:
                return 0
            wb, h = buf[i + 4] + 256 * buf[i + 5], buf[i + 6] + 256 * buf[i + 7]
            size = 8 + wb * h
            if have < size:
                return 0
            self._newline(flush_only=True)
            self._print(Image(wb * 8, h, bytes(buf[i + 8 : i + size]), m.align))
            return size
        if c in (ord("L"), ord("W"), ord("P"), ord("\\"), ord("$")):
            return 4 if have >= 4 else 0
        if c in {ord(x) for x in "!BhwHfIrabE|T"}:
            if have < 3:
                return 0
            n = buf[i + 2]
            if c == ord("!"):
                m.width, m.height = (n >> 4) + 1, (n & 0x07) + 1
            elif c == ord("B"):
                m.invert = bool(n & 1)
            elif c == ord("h"):
                m.barcode_height = n
            elif c == ord("w"):
                m.barcode_module = n
            elif c == ord("H"):
                m.hri = n
            elif c == ord("I"):
                out += {1: b"\x20", 2: b"\x02", 3: b"\x40"}.get(n, b"_SIM\x00")
            elif c == ord("r"):
                s = self.status(4)
                out.append((s >> 2 & 0x03 | s >> 3 & 0x0C) if n in (1, 49) else 0)
            else:
                m.extra["GS" + chr(c)] = n
            return 3
        self.unknown.append(bytes(buf[i : i + 2]))
        return 2

    def _barcode(self, i: int, have: int) -> int:
        buf, m = self._buf, self.mode
        if have < 3:
            return 0
        kind = buf[i + 2]
        if kind <= 6:
            end = buf.find(b"\x00", i + 3)
            if end < 0:
                return 0
            data, size = bytes(buf[i + 3 : end]), end - i + 1
        else:
            if have < 4 or have < 4 + buf[i + 3]:
                return 0
            size = 4 + buf[i + 3]
            data = bytes(buf[i + 4 : size + i])
        name = _BARCODES_A.get(kind, f"type{kind}")
        text = data.decode("ascii", "replace")
        if name == "CODE128" and text[:1] == "{":
            text = text[2:].replace("{{", "{")
        self._newline(flush_only=True)
        hri = m.hri in (2, 3, 50, 51)
        self._print(BarcodeItem(name, text, m.barcode_height, m.barcode_module, hri, m.align))
        return size

    def _gs_paren(self, fn: int, body: bytes) -> None:
        m = self.mode
        if fn == ord("k") and len(body) >= 2 and body[0] == 49:  # QR code
            func, args = body[1], body[2:]
            if func == 67 and args:
                m.qr_module = args[0]
            elif func == 69 and args:
                m.qr_level = _QR_LEVEL.get(args[0], "L")
            elif func == 80:
                m.qr_data = args[1:]
            elif func == 81:
                self._newline(flush_only=True)
                text = m.qr_data.decode("utf-8", "replace")
                self._print(QrItem(text, m.qr_module, m.qr_level, m.align))
        elif fn == ord("L") and len(body) >= 2:  # graphics: store, then print
            if body[1] == 112 and len(body) >= 10:
                m.graphics = body
            elif body[1] == 50 and m.graphics:
                g = m.graphics
                w, h = g[6] + 256 * g[7], g[8] + 256 * g[9]
                self._newline(flush_only=True)
                self._print(Image(w, h, g[10:], m.align))

    # -- FS and DLE -----------------------------------------------------------------------
    def _fs(self, i: int, c: int, have: int, out: bytearray) -> int:
        size = {ord("."): 2, ord("&"): 2, ord("!"): 3, ord("-"): 3, ord("C"): 3, ord("p"): 4}
        n = size.get(c, 2)
        return n if have >= n else 0

    def _dle(self, i: int, c: int, have: int, out: bytearray) -> int:
        # real-time commands were acted on when they arrived (_realtime): skip them here
        if c == 0x04:  # EOT n [a]
            if have < 3:
                return 0
            if self._buf[i + 2] in (7, 8):
                return 4 if have >= 4 else 0
            return 3
        if c == 0x14:  # DC4 fn ...
            if have < 3:
                return 0
            size = 10 if self._buf[i + 2] == 8 else 5
            return size if have >= size else 0
        if c == 0x05:
            return 3 if have >= 3 else 0
        return 2

    # -- printing -------------------------------------------------------------------------
    def _text(self, raw: bytes) -> None:
        m = self.mode
        text = raw.decode(CODE_PAGES.get(m.code_page, "cp437"), "replace")
        style = (m.bold, m.underline, m.width, m.height, m.invert)
        for ch in text:
            if self._col + m.width > self.columns:
                self._newline()  # the printer wraps a line that is too long
            if self._line and _style(self._line[-1]) == style:
                self._line[-1] = Span(self._line[-1].text + ch, *style)
            else:
                self._line.append(Span(ch, *style))
            self._col += m.width

    def _newline(self, flush_only: bool = False) -> None:
        if flush_only and not self._line:
            return
        self._print(Line(self._line, self.mode.align))
        self._line, self._col = [], 0

    def _print(self, item: Item) -> None:
        if self.ready:
            self.paper.append(item)
        else:
            self.lost += 1

    def _cut(self, partial: bool) -> None:
        if self.ready:
            self.paper.append(CutItem(partial))
            self.events.append({"event": "cut", "partial": partial})
        else:
            self.lost += 1

    def _pulse(self, pin: int, on_ms: int, off_ms: int) -> None:
        self.events.append({"event": "pulse", "pin": pin, "on_ms": on_ms, "off_ms": off_ms})
        if self.drawer is not None:
            self.drawer.pulse(pin, on_ms)

    # -- reading the paper ----------------------------------------------------------------
    def receipts(self) -> list[list[Item]]:
        """The paper cut into pieces (what is after the last cut is still on the roll)."""
        with self.lock:
            pieces: list[list[Item]] = [[]]
            for item in self.paper:
                if isinstance(item, CutItem):
                    pieces.append([])
                else:
                    pieces[-1].append(item)
            return pieces[:-1] if not pieces[-1] else pieces


def _style(span: Span) -> tuple:
    return (span.bold, span.underline, span.width, span.height, span.invert)
