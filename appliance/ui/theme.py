"""Colours and sizes of the till's screens (no Kivy: plain numbers).

Sizes are in Kivy's dp, which is a pixel at 96 dpi. A touch target is at
least `TOUCH` (48 dp): 12 mm on a till screen of 100 dpi. Text is sized to be
read at arm's length: 18 sp and more on the ticket, the total at 44 sp.
"""

from __future__ import annotations

__all__ = ["COLOURS", "MODE_COLOURS", "SIZES", "TOUCH", "rgba"]

#: the smallest side of anything a finger presses, in dp
TOUCH = 48

Colour = tuple[float, float, float, float]


def rgba(value: str | None, default: str = "#9e9e9e") -> Colour:
    """ "#rrggbb" (or "#rgb") -> (r, g, b, 1.0); the default for anything unreadable."""
    text = (value or default).strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    try:
        r, g, b = (int(text[i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return rgba(default)
    if len(text) != 6:
        return rgba(default)
    return (r, g, b, 1.0)


def darker(colour: Colour, factor: float = 0.8) -> Colour:
    r, g, b, a = colour
    return (r * factor, g * factor, b * factor, a)


def text_on(colour: Colour) -> Colour:
    """Black or white text, whichever reads better on `colour`."""
    r, g, b, _ = colour
    return (0.08, 0.08, 0.08, 1) if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else (1, 1, 1, 1)


COLOURS: dict[str, Colour] = {
    "background": rgba("#20242a"),
    "panel": rgba("#2c323a"),
    "ticket": rgba("#fbfaf6"),
    "ticket_text": rgba("#1b1b1b"),
    "ticket_selected": rgba("#ffe08a"),
    "ticket_pending": rgba("#8a8a8a"),
    "key": rgba("#47505c"),
    "function": rgba("#3b6ea5"),
    "danger": rgba("#b3403a"),
    "pay": rgba("#2e9d57"),
    "warning": rgba("#e08a00"),
    "banner": rgba("#d9480f"),
    "ok": rgba("#2e9d57"),
    "bad": rgba("#c92a2a"),
    "unknown": rgba("#868e96"),
    "text": rgba("#f1f3f5"),
    "muted": rgba("#adb5bd"),
    "disabled": rgba("#5c636a"),
}

#: the mode's colour in the status bar
MODE_COLOURS: dict[str, Colour] = {
    "ONLINE": rgba("#2e9d57"),
    "AUTONOMOUS": rgba("#d9480f"),
    "ASK_AUTONOMOUS": rgba("#e08a00"),
    "ASK_UPLOAD": rgba("#e08a00"),
    "SYNCING": rgba("#1c7ed6"),
    "DISCOVERING": rgba("#868e96"),
    "BOOT": rgba("#868e96"),
}

SIZES = {
    "status_bar": 48,
    "banner": 44,
    "message": 40,
    "row": 48,  # a ticket line: also a touch target (it selects the line)
    "key": 56,
    "tab": 56,
    "product": 76,
    "text": 18,
    "small": 15,
    "button": 18,
    "total": 44,
    "change": 64,
}
