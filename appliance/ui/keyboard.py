"""The on-screen keyboard of the till's text fields, in the till's language.

A text field of a dialog (dialogs._field) calls `attach(field)`: when the
field takes the focus the keyboard comes up along the bottom of the window,
and the dialog holding the field makes room above it (`Dialog.make_room`):
the field and the dialog's buttons stay in sight, never under a key. It goes
when no field has the focus any more (its OK key, or the dialog closed).

Its layout follows the till's language: French AZERTY with é è ç à ê â ô ù û
î ë ï, Belgian AZERTY (`settings.keyboard = "be"` in till.json), English
QWERTY. A key touched types into the field without taking the focus from it.
Each key is a button tagged `osk:key:<its character>` (`osk:shift`,
`osk:space`, `osk:backspace`, `osk:done`).
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.metrics import dp
from kivy.uix.behaviors import FocusBehavior
from kivy.uix.boxlayout import BoxLayout

from . import i18n
from .i18n import _
from .theme import COLOURS, TOUCH
from .widgets import TouchButton, fill

__all__ = [
    "LAYOUTS",
    "OnScreenKeyboard",
    "attach",
    "hide",
    "hide_for",
    "keyboard",
    "layout_for",
    "use_layout",
]

#: layout -> its rows of characters; the last row takes shift first and backspace last
LAYOUTS: dict[str, tuple[str, ...]] = {
    "fr": (
        "1234567890éèçà",
        "azertyuiopêâô",
        "qsdfghjklmùûî",
        "wxcvbn,.'-ëï",
    ),
    "be": (
        "1234567890éèçà",
        "azertyuiopêâô",
        "qsdfghjklmùûµ",
        "wxcvbn,;.-ëï",
    ),
    "en": (
        "1234567890-'",
        "qwertyuiop",
        "asdfghjkl",
        "zxcvbnm,.",
    ),
}

#: the keyboard's own setting (till.json `settings.keyboard`), else the language's
LANGUAGE_LAYOUTS = {"fr": "fr", "en": "en"}

KEY = dp(TOUCH)
GAP = dp(4)


_setting = ""


def use_layout(setting: str) -> None:
    """The till's own keyboard (till.json `settings.keyboard`: fr, be, en; empty:
    the language's)."""
    global _setting
    _setting = setting if setting in LAYOUTS else ""


def layout_for(language: str, setting: str = "") -> str:
    """The layout of a till speaking `language`: its own `setting` when it names one
    (a Belgian store speaks French on a Belgian keyboard)."""
    if setting in LAYOUTS:
        return setting
    return LANGUAGE_LAYOUTS.get(language, "en")


class _Key(TouchButton):
    """A key: touching it leaves the focus on the field it types into."""

    def on_touch_down(self, touch: Any) -> bool:
        if self.collide_point(*touch.pos):
            FocusBehavior.ignored_touch.append(touch)
        return super().on_touch_down(touch)


class OnScreenKeyboard(BoxLayout):
    """The keys, along the bottom of the window."""

    def __init__(self, layout: str) -> None:
        rows = LAYOUTS[layout]
        super().__init__(
            orientation="vertical",
            padding=GAP,
            spacing=GAP,
            size_hint=(1, None),
            height=(len(rows) + 1) * (KEY + GAP) + GAP,
            pos=(0, 0),
        )
        self.tag = "osk"
        self.layout = layout
        self.shift = False
        self.target: Any = None
        self.letters: dict[str, _Key] = {}
        fill(self, COLOURS["panel"])
        for i, chars in enumerate(rows):
            row = BoxLayout(spacing=GAP)
            if i == len(rows) - 1:
                row.add_widget(self._special("shift", "⇧", self._shift, 1.5))
            for ch in chars:
                key = _Key(ch, tag=f"osk:key:{ch}")
                key.bind(on_release=lambda _k, c=ch: self.type(c))
                self.letters[ch] = key
                row.add_widget(key)
            if i == len(rows) - 1:
                row.add_widget(self._special("backspace", "⌫", self._backspace, 1.5))
            self.add_widget(row)
        bottom = BoxLayout(spacing=GAP)
        bottom.add_widget(self._special("space", _("Space"), lambda: self.type(" "), 6))
        bottom.add_widget(self._special("done", _("OK"), self.done, 2))
        self.add_widget(bottom)

    def _special(self, name: str, text: str, action: Any, width: float) -> _Key:
        key = _Key(text, tag=f"osk:{name}", size_hint_x=width)
        key.colour = list(COLOURS["function"])
        key.bind(on_release=lambda *_a: action())
        return key

    def type(self, ch: str) -> None:
        if self.target is None:
            return
        self.target.insert_text(ch.upper() if self.shift else ch)
        if self.shift:
            self._shift()

    def _shift(self) -> None:
        self.shift = not self.shift
        for ch, key in self.letters.items():
            key.label = ch.upper() if self.shift else ch

    def _backspace(self) -> None:
        if self.target is not None:
            self.target.do_backspace()

    def done(self) -> None:
        """The cashier has typed: the field lets the focus go, the keyboard goes."""
        if self.target is not None:
            self.target.focus = False
        hide()


_shown: OnScreenKeyboard | None = None


def keyboard() -> OnScreenKeyboard | None:
    """The keyboard on screen now, or None."""
    return _shown


def _window() -> Any:
    from kivy.core.window import Window

    return Window


def _dialog_of(field: Any) -> Any:
    w = field.parent
    while w is not None and not hasattr(w, "make_room"):
        w = w.parent
    return w


def show(field: Any) -> None:
    global _shown
    win = _window()
    setting = str(getattr(field, "keyboard_layout", "") or "") or _setting
    layout = layout_for(i18n.current().code, setting)
    if _shown is None or _shown.layout != layout:
        hide()
        _shown = OnScreenKeyboard(layout)
    if _shown.parent is None:
        win.add_widget(_shown)
    else:  # keep it on top of a dialog opened since
        win.remove_widget(_shown)
        win.add_widget(_shown)
    _shown.target = field
    dialog = _dialog_of(field)
    if dialog is not None:
        dialog.make_room(_shown.top)


def hide() -> None:
    global _shown
    kb = _shown
    if kb is None:
        return
    target, kb.target = kb.target, None
    if kb.parent is not None:
        kb.parent.remove_widget(kb)
    dialog = _dialog_of(target) if target is not None else None
    if dialog is not None:
        dialog.make_room(0)


def hide_for(dialog: Any) -> None:
    """`dialog` closes: the keyboard goes if it types into one of its fields."""
    kb = _shown
    if kb is not None and kb.target is not None and _dialog_of(kb.target) is dialog:
        kb.target.focus = False
        hide()


def _focus_changed(field: Any, focused: bool) -> None:
    if focused:
        show(field)
        return

    def later(_dt: float) -> None:  # another field of the dialog may take the focus now
        kb = _shown
        if kb is not None and kb.target is field and not field.focus:
            hide()

    Clock.schedule_once(later, 0)


def attach(field: Any, layout: str = "") -> Any:
    """Give `field` (a TextInput) the on-screen keyboard; `layout` overrides the
    language's ("be")."""
    field.keyboard_layout = layout
    field.bind(focus=_focus_changed)
    return field
