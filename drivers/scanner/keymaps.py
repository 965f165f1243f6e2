"""Keyboard layouts for HID usage IDs: what a scanner's key reports mean as text.

A keyboard-wedge scanner types a code as key presses of the layout it was set
up for. A French (AZERTY) scanner sends its digits with Shift held, because
on AZERTY the digit row gives `&é"'(-è_çà` without it. Decoding with the
wrong layout, or ignoring Shift, turns `0013748911` into `àà&"è'!ç&&`; the
layout here must be the one the scanner was set up for.

Each key maps to (plain, shift, altgr); an empty string means the key gives
nothing in that state. Caps Lock swaps plain and shift for the keys in
`caps` (letters everywhere; the digit row too on AZERTY, as French and
Belgian Windows layouts do). Characters in `dead` are dead keys: they change
the next character (`^` then `e` gives `ê`) or stand alone before a space.
"""

from __future__ import annotations

from dataclasses import dataclass

# HID usage IDs (keyboard page 0x07) this module names
ENTER, ESCAPE, BACKSPACE, TAB, SPACE, CAPS_LOCK = 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x39
KEYPAD_ENTER = 0x58
TERMINATORS = frozenset({ENTER, KEYPAD_ENTER, TAB})
LETTERS = tuple(range(0x04, 0x1E))  # a..z on a US keyboard
DIGIT_ROW = tuple(range(0x1E, 0x28))  # 1..9, 0 on a US keyboard

# the keypad gives digits whatever the layout (Num Lock on, as scanners assume)
_KEYPAD = {0x54: "/", 0x55: "*", 0x56: "-", 0x57: "+", 0x62: "0", 0x63: "."}
_KEYPAD.update({0x59 + i: str(i + 1) for i in range(9)})


@dataclass(frozen=True)
class Layout:
    name: str
    keys: dict[int, tuple[str, str, str]]
    caps: frozenset[int]
    dead: frozenset[str] = frozenset()

    def char(self, usage: int, shift: bool, altgr: bool, caps_lock: bool) -> str:
        """The character a key gives, or "" (a key that types nothing)."""
        entry = self.keys.get(usage)
        if entry is None:
            return ""
        if altgr:
            return entry[2]
        if caps_lock and usage in self.caps:
            shift = not shift
        return entry[1] if shift else entry[0]

    def strokes(self) -> dict[str, tuple[int, bool, bool]]:
        """char -> (usage, shift, altgr): how this layout types each character
        (the simulated scanner uses it; the first way found wins). A dead key's
        character is typed as that key then a space."""
        out: dict[str, tuple[int, bool, bool]] = {}
        for usage in sorted(self.keys):
            plain, shifted, altgr = self.keys[usage]
            for ch, sh, ag in ((plain, False, False), (shifted, True, False), (altgr, False, True)):
                if ch and ch not in out:
                    out[ch] = (usage, sh, ag)
        return out


def _table(rows: dict[int, str | tuple[str, str] | tuple[str, str, str]]) -> dict:
    keys: dict[int, tuple[str, str, str]] = {}
    for usage, row in rows.items():
        if isinstance(row, str):  # a letter: lower, upper
            row = (row, row.upper())
        keys[usage] = (row[0], row[1], row[2] if len(row) > 2 else "")
    for usage, ch in _KEYPAD.items():
        keys[usage] = (ch, ch, "")
    keys[SPACE] = (" ", " ", "")
    return keys


_US_LETTERS = {u: chr(ord("a") + i) for i, u in enumerate(LETTERS)}

US = Layout(
    "us",
    _table(
        {
            **_US_LETTERS,
            **{u: (p, s) for u, p, s in zip(DIGIT_ROW, "1234567890", "!@#$%^&*()", strict=True)},
            0x2D: ("-", "_"),
            0x2E: ("=", "+"),
            0x2F: ("[", "{"),
            0x30: ("]", "}"),
            0x31: ("\\", "|"),
            0x32: ("\\", "|"),
            0x33: (";", ":"),
            0x34: ("'", '"'),
            0x35: ("`", "~"),
            0x36: (",", "<"),
            0x37: (".", ">"),
            0x38: ("/", "?"),
            0x64: ("\\", "|"),
        }
    ),
    caps=frozenset(LETTERS),
)

# AZERTY letters: a/q and z/w swap, m sits where US has ';', ',' where US has 'm'
_AZERTY_LETTERS = dict(_US_LETTERS)
_AZERTY_LETTERS.update({0x04: "q", 0x14: "a", 0x1A: "z", 0x1D: "w", 0x33: "m"})
del _AZERTY_LETTERS[0x10]
_AZERTY_CAPS = frozenset(_AZERTY_LETTERS) | frozenset(DIGIT_ROW)

FR = Layout(
    "fr",
    _table(
        {
            **_AZERTY_LETTERS,
            0x08: ("e", "E", "€"),
            0x10: (",", "?"),
            0x1E: ("&", "1"),
            0x1F: ("é", "2", "~"),
            0x20: ('"', "3", "#"),
            0x21: ("'", "4", "{"),
            0x22: ("(", "5", "["),
            0x23: ("-", "6", "|"),
            0x24: ("è", "7", "`"),
            0x25: ("_", "8", "\\"),
            0x26: ("ç", "9", "^"),
            0x27: ("à", "0", "@"),
            0x2D: (")", "°", "]"),
            0x2E: ("=", "+", "}"),
            0x2F: ("^", "¨"),
            0x30: ("$", "£", "¤"),
            0x31: ("*", "µ"),
            0x32: ("*", "µ"),
            0x34: ("ù", "%"),
            0x35: ("²", ""),
            0x36: (";", "."),
            0x37: (":", "/"),
            0x38: ("!", "§"),
            0x64: ("<", ">"),
        }
    ),
    caps=_AZERTY_CAPS,
    dead=frozenset({"^", "¨", "~", "`"}),
)

BE = Layout(
    "be",
    _table(
        {
            **_AZERTY_LETTERS,
            0x08: ("e", "E", "€"),
            0x10: (",", "?"),
            0x1E: ("&", "1", "|"),
            0x1F: ("é", "2", "@"),
            0x20: ('"', "3", "#"),
            0x21: ("'", "4"),
            0x22: ("(", "5"),
            0x23: ("§", "6", "^"),
            0x24: ("è", "7"),
            0x25: ("!", "8"),
            0x26: ("ç", "9", "{"),
            0x27: ("à", "0", "}"),
            0x2D: (")", "°"),
            0x2E: ("-", "_"),
            0x2F: ("^", "¨", "["),
            0x30: ("$", "*", "]"),
            0x31: ("µ", "£", "`"),
            0x32: ("µ", "£", "`"),
            0x34: ("ù", "%", "´"),
            0x35: ("²", "³"),
            0x36: (";", "."),
            0x37: (":", "/"),
            0x38: ("=", "+", "~"),
            0x64: ("<", ">", "\\"),
        }
    ),
    caps=_AZERTY_CAPS,
    dead=frozenset({"^", "¨", "`", "´", "~"}),
)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (US, FR, BE)}


def layout(name: str | Layout) -> Layout:
    """A layout by name (`us`, `fr`, `be`); ValueError names the known ones."""
    if isinstance(name, Layout):
        return name
    try:
        return LAYOUTS[name.lower()]
    except KeyError:
        raise ValueError(
            f"unknown keyboard layout {name!r}: use one of {', '.join(LAYOUTS)}"
        ) from None
