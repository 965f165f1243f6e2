"""A product button's label: it wraps between words, and its font shrinks until Kivy
lays it out with no word cut and every line inside the button ("Croque-monsieur
salade" on two lines, never "Croque-monsie / ur salade"). Past the smallest size, a
word too long still breaks after a hyphen, not inside."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from kivy.core.text import Label as CoreLabel
from kivy.metrics import sp

from .widgets import TouchButton

__all__ = ["ProductButton", "fit_label"]

#: the smallest a product's name is drawn, in sp
SMALLEST = 10


@lru_cache(maxsize=4096)
def _laid_out(
    text: str, width: float, height: float, size: float, font: str, bold: bool
) -> tuple[str, ...]:
    """The lines Kivy lays `text` out in, in a box `width` x `height` at `size` (the
    same layout a Label draws; lines past the box's height are left out)."""
    core = CoreLabel(
        text=text, font_size=size, font_name=font, bold=bold, text_size=(width, height),
        halign="center", valign="middle",
    )  # fmt: skip
    core.render(real=False)
    return tuple("".join(w.text for w in ln.words).strip() for ln in core._cached_lines)


def _whole(text: str, lines: tuple[str, ...]) -> bool:
    """Every line of `text` is there and no word was cut: each drawn line holds whole
    words of one line of the text, in order."""
    want = [ln.split() for ln in text.split("\n")]
    got = [ln.split() for ln in lines]
    for words in want:
        row: list[str] = []
        while got and len(row) < len(words):
            row += got.pop(0)
        if row != words:
            return False
    return not got


def fit_label(
    text: str, width: float, height: float, size: float, *, font: str = "Roboto",
    bold: bool = False, smallest: float | None = None,
) -> tuple[str, float]:  # fmt: skip
    """(The text to draw, its font size) for a box `width` x `height`: the largest size
    from `size` down at which every line is drawn and no word is cut; at the smallest,
    a word too long breaks after a hyphen ("Croque-" / "monsieur")."""
    least = sp(SMALLEST) if smallest is None else smallest
    step = max(size / 16, 0.5)
    at = size
    while not _whole(text, _laid_out(text, width, height, at, font, bold)):
        if at <= least:
            name, *rest = text.split("\n")
            return "\n".join([name.replace("-", "-\n"), *rest]), least
        at = max(at - step, least)
    return text, at


class ProductButton(TouchButton):
    """A product's button: its name wrapped between words, the font shrunk to fit."""

    def __init__(self, text: str = "", **kw: Any) -> None:
        self._size = float(kw.get("font_size") or sp(16))
        self._fitted: tuple[Any, ...] = ()
        super().__init__(text, **kw)

    def _wrap(self, *_args: Any) -> None:
        super()._wrap()
        self._show()

    def _show(self, *_args: Any) -> None:
        if self.disabled and self.reason:
            super()._show()
            return
        width, height = self.text_size
        key = (self.label, width, height, self.font_name, self.bold)
        if width is None or height is None:  # not laid out yet: fitted once it is
            self.text = self.label
        elif key != self._fitted:
            self._fitted = key
            text, size = fit_label(
                self.label, float(width), float(height), self._size,
                font=self.font_name, bold=bool(self.bold),
            )  # fmt: skip
            self.text, self.font_size = text, size
        self._paint()
