"""HID boot-keyboard reports -> scanned codes.

A boot report is 8 bytes: modifiers, a reserved byte, then up to six usage
IDs of the keys held down. A key is pressed in the first report where it
appears and released when it is gone; the character is taken at the press,
with the modifiers of that report (both Shift keys, AltGr as right Alt or
Ctrl+Alt). A report whose key slots say ErrorRollOver (0x01) is skipped: it
is neither a press nor a release. Enter, keypad Enter or Tab ends a code.
Keys pressed with Ctrl (not AltGr) or GUI type nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from .keymaps import CAPS_LOCK, TERMINATORS, Layout, layout

LEFT_CTRL, LEFT_SHIFT, LEFT_ALT, LEFT_GUI = 0x01, 0x02, 0x04, 0x08
RIGHT_CTRL, RIGHT_SHIFT, RIGHT_ALT, RIGHT_GUI = 0x10, 0x20, 0x40, 0x80
_SHIFT = LEFT_SHIFT | RIGHT_SHIFT
_CTRL = LEFT_CTRL | RIGHT_CTRL
_GUI = LEFT_GUI | RIGHT_GUI
_ERROR_CODES = frozenset({0x01, 0x02, 0x03})  # ErrorRollOver, POSTFail, ErrorUndefined

# a dead key's combining mark: "^" then "e" gives "ê"
_COMBINING = {"^": "\u0302", "¨": "\u0308", "`": "\u0300", "´": "\u0301", "~": "\u0303"}

REPORT_SIZE = 8


class ReportDecoder:
    """Feed it reports in order; it returns each code when its terminator comes."""

    def __init__(self, keyboard_layout: str | Layout = "us", max_length: int = 256) -> None:
        self.layout = layout(keyboard_layout)
        self.max_length = max_length
        self._held: tuple[int, ...] = ()
        self._chars: list[str] = []
        self._caps_lock = False
        self._dead = ""

    @property
    def pending(self) -> str:
        """What was typed since the last code (no terminator yet)."""
        return "".join(self._chars) + self._dead

    def reset(self) -> None:
        """Forget a half-typed code and the keys held (a scanner that went away)."""
        self._held = ()
        self._chars.clear()
        self._dead = ""

    def feed(self, report: bytes | Sequence[int]) -> str | None:
        """One report; the finished code if this report ended one, else None."""
        if len(report) == REPORT_SIZE + 1:  # a report ID in front
            report = report[1:]
        if len(report) < 3:
            return None
        mods = report[0]
        keys = tuple(k for k in report[2:REPORT_SIZE] if k)
        if any(k in _ERROR_CODES for k in keys):
            return None  # rollover: no change to what is held
        held = self._held
        self._held = keys
        code = None
        for usage in keys:
            if usage in held:
                continue
            done = self._press(usage, mods)
            if done is not None:
                code = done
        return code

    def feed_all(self, reports: Iterable[bytes | Sequence[int]]) -> list[str]:
        return [c for c in map(self.feed, reports) if c is not None]

    def _press(self, usage: int, mods: int) -> str | None:
        if usage in TERMINATORS:
            code = self.pending
            self._chars.clear()
            self._dead = ""
            return code or None
        if usage == CAPS_LOCK:
            self._caps_lock = not self._caps_lock
            return None
        altgr = bool(mods & RIGHT_ALT) or (bool(mods & _CTRL) and bool(mods & LEFT_ALT))
        if not altgr and mods & (_CTRL | _GUI):
            return None
        ch = self.layout.char(usage, bool(mods & _SHIFT), altgr, self._caps_lock)
        if ch:
            self._type(ch)
        return None

    def _type(self, ch: str) -> None:
        if self._dead:
            dead, self._dead = self._dead, ""
            if ch == " ":
                ch = dead
            else:
                composed = unicodedata.normalize("NFC", ch + _COMBINING.get(dead, ""))
                if len(composed) == 1:
                    ch = composed
                else:
                    self._chars.append(dead)
        elif ch in self.layout.dead:
            self._dead = ch
            return
        if len(self._chars) < self.max_length:
            self._chars.append(ch)


def decode(reports: Iterable[bytes | Sequence[int]], keyboard_layout: str | Layout) -> list[str]:
    """Every code a sequence of reports types."""
    return ReportDecoder(keyboard_layout).feed_all(reports)
