"""The physical keyboard: a code typed as digits then Enter, and shortcut keys.

A barcode scanner the kernel sees as a keyboard (a "keyboard wedge") types a
code's digits then Enter, a few milliseconds apart. `TypedCode` makes codes of
the keys (Kivy-free). `key_router()` is the one listener on the window's keys:
its handlers, the highest priority first, may take a key (it then goes no
further); none of them sees a key while a text field has the focus (the key is
the field's), nor a key with Ctrl, Alt or the logo key held. A handler is held
weakly when it is a bound method: a widget that goes away takes its handler
with it.

    off = key_router().add(screen.on_key, priority=0)   # on_key(key, codepoint) -> taken
    ...
    off()

Importing this module opens no window: the router is made on first use.
"""

from __future__ import annotations

import itertools
import time
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["ENTER_KEYS", "KeyRouter", "TypedCode", "function_key", "key_router"]

#: Return and the keypad's Enter (Kivy's key codes)
ENTER_KEYS = (13, 271)
#: Kivy's key codes of F1..F12
_F1 = 282
#: the digits of the main row and of the keypad (Kivy's key codes)
_DIGITS = {**{48 + i: str(i) for i in range(10)}, **{256 + i: str(i) for i in range(10)}}
#: modifiers that make a key a command, not a character
_COMMAND_MODIFIERS = frozenset({"ctrl", "alt", "meta", "super"})

KeyHandler = Callable[[int, "str | None"], bool]


def function_key(key: int) -> int | None:
    """1 for F1 ... 12 for F12, None for any other key."""
    return key - _F1 + 1 if _F1 <= key < _F1 + 12 else None


def digit_of(key: int, codepoint: str | None) -> str | None:
    """The digit a key types (main row or keypad), or None."""
    if key in _DIGITS:
        return _DIGITS[key]
    if codepoint is not None and len(codepoint) == 1 and codepoint in "0123456789":
        return codepoint
    return None


class TypedCode:
    """Digits then Enter -> a code.

    `key(key, codepoint)` returns (taken, code): taken when the key belongs to a
    code (a digit, or the Enter that ends one), code when that Enter ends a code
    of at least `min_digits` digits. More than `max_gap_s` between two keys
    starts again: a scanner types a code at once, a hand slower.
    """

    def __init__(
        self,
        max_gap_s: float,
        *,
        min_digits: int = 1,
        max_digits: int = 32,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_gap_s = max_gap_s
        self.min_digits = min_digits
        self.max_digits = max_digits
        self.clock = clock
        self.digits = ""
        self._last = 0.0

    def reset(self) -> None:
        self.digits = ""

    def key(self, key: int, codepoint: str | None) -> tuple[bool, str | None]:
        now = self.clock()
        if self.digits and now - self._last > self.max_gap_s:
            self.digits = ""
        digit = digit_of(key, codepoint)
        if digit is not None:
            self.digits = self.digits + digit if len(self.digits) < self.max_digits else digit
            self._last = now
            return True, None
        code, self.digits = self.digits, ""
        if key in ENTER_KEYS and code:
            return True, (code if len(code) >= self.min_digits else None)
        return False, None


def text_has_focus(window: Any) -> bool:
    """Whether a text field (any focusable widget) on the window has the focus."""
    from kivy.uix.behaviors import FocusBehavior

    for top in list(window.children):
        for w in top.walk(restrict=True):
            if isinstance(w, FocusBehavior) and w.focus:
                return True
    return False


class KeyRouter:
    """The window's keys to the handlers that want them (see the module's text)."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self._handlers: list[tuple[int, int, Callable[[], KeyHandler | None]]] = []
        self._order = itertools.count()
        self._bound = False

    def add(self, handler: KeyHandler, priority: int = 0) -> Callable[[], None]:
        """Give `handler(key, codepoint) -> taken` the keys (higher priority first; the
        later of two equal ones first). Returns the function that takes it off."""
        ref: Callable[[], KeyHandler | None] = (
            weakref.WeakMethod(handler)  # type: ignore[arg-type]
            if hasattr(handler, "__self__")
            else (lambda: handler)
        )
        entry = (priority, next(self._order), ref)
        self._handlers.append(entry)
        self._handlers.sort(key=lambda e: (-e[0], -e[1]))
        if not self._bound:
            self.window.bind(on_key_down=self._key_down)
            self._bound = True

        def remove() -> None:
            if entry in self._handlers:
                self._handlers.remove(entry)
            self._unbind_if_idle()

        return remove

    @property
    def handlers(self) -> list[KeyHandler]:
        """The live handlers, in the order they are asked."""
        return [h for _p, _n, ref in self._handlers if (h := ref()) is not None]

    def _unbind_if_idle(self) -> None:
        self._handlers = [e for e in self._handlers if e[2]() is not None]
        if not self._handlers and self._bound:
            self.window.unbind(on_key_down=self._key_down)
            self._bound = False

    def _key_down(
        self, window: Any, key: int, _scancode: Any = None, codepoint: Any = None, modifiers=()
    ) -> bool:
        if _COMMAND_MODIFIERS.intersection(modifiers or ()):
            return False
        handlers = self.handlers
        if len(handlers) != len(self._handlers):
            self._unbind_if_idle()
        if not handlers or text_has_focus(window):
            return False
        return any(handler(key, codepoint) for handler in handlers)


_router: KeyRouter | None = None


def key_router() -> KeyRouter:
    """The router of Kivy's window (made, and the window opened, on first use)."""
    global _router
    if _router is None:
        from kivy.core.window import Window

        _router = KeyRouter(Window)
    return _router
