"""A simulated keyboard-wedge barcode scanner on the simulated USB bus.

It types a code as a real one does: boot-keyboard reports on an interrupt IN
endpoint, one press and one release a character, in the layout it is set up
for (a French scanner holds Shift for its digits), then its suffix (Enter by
default, or Tab, or nothing). Report styles seen on real scanners:

- `plain`: [mods, key] then [] for each character;
- `shift_apart`: the modifier goes down in a report of its own, before the key;
- `overlap`: the next key goes down before the previous one is released.

`rollover=True` puts an ErrorRollOver report (all slots 0x01) after each press;
`caps_lock=True` types with Caps Lock on (toggled before and after the code).
"""

from __future__ import annotations

import time
import unicodedata
from collections import deque

from drivers.scanner.decoder import LEFT_SHIFT, RIGHT_ALT, RIGHT_SHIFT
from drivers.scanner.keymaps import CAPS_LOCK, ENTER, SPACE, TAB, Layout, layout

from .usb import Endpoint, Interface, SimDevice

_SUFFIX_KEYS = {"\r": ENTER, "\n": ENTER, "\t": TAB}
_DEAD_FOR_MARK = {"\u0302": "^", "\u0308": "¨", "\u0300": "`", "\u0301": "´", "\u0303": "~"}
STYLES = ("plain", "shift_apart", "overlap")


def _strokes(text: str, lay: Layout, caps_lock: bool) -> list[tuple[int, int]]:
    """(usage, modifiers) for each key press typing text."""
    table = lay.strokes()
    out: list[tuple[int, int]] = []
    for ch in text:
        keys: list[str] = [ch]
        if ch not in table:
            base, *marks = unicodedata.normalize("NFD", ch)
            if len(marks) != 1 or _DEAD_FOR_MARK.get(marks[0]) not in table:
                raise ValueError(f"layout {lay.name} cannot type {ch!r}")
            keys = [_DEAD_FOR_MARK[marks[0]], base]
        for k in keys:
            usage, shift, altgr = table[k]
            if caps_lock and usage in lay.caps and not altgr:
                shift = not shift
            out.append((usage, (LEFT_SHIFT if shift else 0) | (RIGHT_ALT if altgr else 0)))
            if k in lay.dead and k == ch:
                out.append((SPACE, 0))  # a dead key alone: then a space
    return out


def reports_for(
    code: str,
    keyboard_layout: str | Layout,
    *,
    suffix: str = "\r",
    style: str = "plain",
    rollover: bool = False,
    caps_lock: bool = False,
    right_shift: bool = False,
) -> list[bytes]:
    """The boot-keyboard reports a scanner sends to type code then its suffix."""
    if style not in STYLES:
        raise ValueError(f"unknown report style {style!r}: {', '.join(STYLES)}")
    lay = layout(keyboard_layout)
    presses = _strokes(code, lay, caps_lock)
    if right_shift:
        presses = [(u, m ^ (LEFT_SHIFT | RIGHT_SHIFT) if m & LEFT_SHIFT else m) for u, m in presses]
    if caps_lock:
        presses = [(CAPS_LOCK, 0), *presses]
    if suffix:
        presses.append((_SUFFIX_KEYS[suffix], 0))
    if caps_lock:
        presses.append((CAPS_LOCK, 0))

    def report(mods: int, *keys: int) -> bytes:
        return bytes([mods, 0, *keys, *([0] * (6 - len(keys)))])

    rollover_report = bytes([0, 0, 1, 1, 1, 1, 1, 1])
    out: list[bytes] = []
    held: int | None = None
    for usage, mods in presses:
        if style == "overlap" and held is not None and held != usage:
            out.append(report(mods, held, usage))
            out.append(report(mods, usage))
        else:
            if held is not None:
                out.append(report(0))
            if style == "shift_apart" and mods:
                out.append(report(mods))
            out.append(report(mods, usage))
        if rollover:
            out.append(rollover_report)
        if style == "shift_apart" and mods:
            out.append(report(mods))
            out.append(report(0))
            held = None
        else:
            held = usage
    if held is not None:
        out.append(report(0))
    return out


class SimScanner(SimDevice):
    """A HID boot keyboard (class 3, subclass 1, protocol 1) that scans codes."""

    interfaces = (Interface(0, 3, 1, 1, (Endpoint(0x81, "interrupt", 8, 1),)),)

    def __init__(self, vid: int = 0x05E0, pid: int = 0x1200, *, keyboard_layout: str = "fr",
                 suffix: str = "\r", style: str = "plain", rollover: bool = False,
                 caps_lock: bool = False, report_interval_s: float = 0.0,
                 product: str = "Simulated scanner",
                 kernel_driver: bool = True) -> None:  # fmt: skip
        super().__init__(vid, pid, product=product, manufacturer="Autonome sim",
                         kernel_driver=kernel_driver)  # fmt: skip
        self.layout = layout(keyboard_layout)
        self.suffix, self.style, self.rollover = suffix, style, rollover
        self.caps_lock = caps_lock
        self.report_interval_s = report_interval_s
        self._queue: deque[tuple[float, bytes]] = deque()
        self.sent = 0

    def scan(self, code: str, **overrides) -> list[bytes]:
        """Type one code (the options of the scanner, or overrides); returns its reports."""
        opts = {"suffix": self.suffix, "style": self.style, "rollover": self.rollover,
                "caps_lock": self.caps_lock, **overrides}  # fmt: skip
        reports = reports_for(code, self.layout, **opts)
        self.send_reports(reports)
        return reports

    def send_reports(self, reports: list[bytes]) -> None:
        start = time.monotonic()
        if self.bus is None:
            raise RuntimeError("plug the scanner into a SimBus first")
        with self.bus._cond:
            if self._queue:
                start = max(start, self._queue[-1][0] + self.report_interval_s)
            for i, r in enumerate(reports):
                self._queue.append((start + i * self.report_interval_s, r))
        self.wake()

    def on_plug(self) -> None:
        self._queue.clear()

    def read_in(self, ep: int, size: int) -> bytes | None:
        if ep != 0x81 or not self._queue or self._queue[0][0] > time.monotonic():
            return None
        self.sent += 1
        return self._queue.popleft()[1]

    def next_ready_at(self) -> float | None:
        return self._queue[0][0] if self._queue else None
