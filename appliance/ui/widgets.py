"""The till's building blocks: buttons a finger can hit, the keypad, the ticket,
the status bar, the autonomous banner, the message line.

Every button is a `TouchButton`: at least 48 dp a side, text that wraps, a
`tag` naming what it does (the tests and the demo find buttons by it), and,
when it is disabled, the reason written on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.recycleboxlayout import RecycleBoxLayout
from kivy.uix.recycleview import RecycleView
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.uix.widget import Widget

from .i18n import _, decimal_separator
from .theme import COLOURS, SIZES, TOUCH, darker, text_on

__all__ = [
    "Bar",
    "Banner",
    "Keypad",
    "MessageBar",
    "TextLabel",
    "TicketView",
    "TouchButton",
    "fill",
    "use_till_clipboard",
    "walk_tagged",
]


class TillClipboard:
    """The text fields' clipboard, inside the till: a till has no desktop to share one
    with. Given to Kivy's TextInput before a field takes the focus, so Kivy never looks
    for xclip or xsel (which a till has not: a CRITICAL line and two tracebacks)."""

    def __init__(self) -> None:
        self._data = ""

    def copy(self, data: str = "") -> None:
        self._data = str(data)

    def paste(self) -> str:
        return self._data

    def get(self, mimetype: str = "text/plain") -> str:
        return self._data

    def put(self, data: str, mimetype: str = "text/plain") -> None:
        self._data = str(data)

    def get_types(self) -> list[str]:
        return ["text/plain"]

    def get_cutbuffer(self) -> str:
        return self._data

    def set_cutbuffer(self, data: str) -> None:
        self._data = str(data)


def use_till_clipboard() -> None:
    """Every text field copies and pastes through a `TillClipboard`, with no cut buffer
    (the X selection): call before any text field takes the focus."""
    from kivy.uix import textinput

    if not isinstance(textinput.Clipboard, TillClipboard):
        textinput.Clipboard = TillClipboard()
        textinput.CutBuffer = None


def fill(widget: Widget, colour: Sequence[float]) -> Color:
    """Paint `widget`'s background; the Color instruction (change its rgba later)."""
    with widget.canvas.before:
        c = Color(*colour)
        r = Rectangle(pos=widget.pos, size=widget.size)

    def follow(w: Widget, _: Any) -> None:
        r.pos, r.size = w.pos, w.size

    widget.bind(pos=follow, size=follow)
    return c


class TextLabel(Label):
    """A label whose text wraps inside it."""

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("font_size", sp(SIZES["text"]))
        kw.setdefault("halign", "left")
        kw.setdefault("valign", "middle")
        super().__init__(**kw)
        self.bind(size=self._wrap)

    def _wrap(self, *_args: Any) -> None:
        self.text_size = (max(self.width - dp(8), 1), max(self.height, 1))


class TouchButton(Button):
    """A button at least `TOUCH` dp a side, coloured, that says why it is disabled."""

    tag = StringProperty("")
    colour = ListProperty(list(COLOURS["key"]))
    #: shown instead of the text while disabled (empty: the text, greyed)
    reason = StringProperty("")
    label = StringProperty("")

    def __init__(self, text: str = "", **kw: Any) -> None:
        kw.setdefault("font_size", sp(SIZES["button"]))
        kw.setdefault("halign", "center")
        kw.setdefault("valign", "middle")
        kw.setdefault("background_normal", "")
        kw.setdefault("background_down", "")
        kw.setdefault("background_disabled_normal", "")
        kw.setdefault("markup", False)
        super().__init__(**kw)
        self.size_hint_min = (dp(TOUCH), dp(TOUCH))
        self.label = text
        self.bind(
            size=self._wrap,
            colour=self._paint,
            state=self._paint,
            disabled=self._show,
            reason=self._show,
            label=self._show,
        )
        self._show()
        self._paint()

    def _wrap(self, *_args: Any) -> None:
        self.text_size = (max(self.width - dp(10), 1), max(self.height - dp(6), 1))

    def _show(self, *_args: Any) -> None:
        self.text = self.reason if (self.disabled and self.reason) else self.label
        self._paint()

    def _paint(self, *_args: Any) -> None:
        base = tuple(self.colour)
        if self.disabled:
            self.background_color = COLOURS["disabled"]
            self.disabled_color = COLOURS["muted"]
        else:
            self.background_color = darker(base, 0.7) if self.state == "down" else base
            self.color = text_on(base)


class Bar(Widget):
    """A progress bar a cashier sees from a step away: thick, filled from the left."""

    value = NumericProperty(0)
    max = NumericProperty(1)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        with self.canvas:
            Color(*COLOURS["background"])
            self._back = Rectangle()
            self._colour = Color(*COLOURS["function"])
            self._front = Rectangle()
        self.bind(pos=self._draw, size=self._draw, value=self._draw, max=self._draw)

    def _draw(self, *_args: Any) -> None:
        part = min(max(self.value / self.max, 0.0), 1.0) if self.max else 0.0
        self._back.pos, self._back.size = self.pos, self.size
        self._front.pos, self._front.size = self.pos, (self.width * part, self.height)

    def colour(self, rgba: Sequence[float]) -> None:
        self._colour.rgba = tuple(rgba)


class Banner(Label):
    """The autonomous mode's banner: always on top of every screen while shown."""

    shown = BooleanProperty(False)

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("font_size", sp(SIZES["text"]))
        kw.setdefault("bold", True)
        kw.setdefault("halign", "center")
        kw.setdefault("valign", "middle")
        kw.setdefault("size_hint_y", None)
        super().__init__(**kw)
        self._bg = fill(self, COLOURS["banner"])
        self.bind(shown=self._toggle, size=self._wrap)
        self._toggle()

    def _wrap(self, *_args: Any) -> None:
        self.text_size = (max(self.width - dp(16), 1), None)

    def _toggle(self, *_args: Any) -> None:
        self.height = dp(SIZES["banner"]) if self.shown else 0
        self.opacity = 1 if self.shown else 0


class MessageBar(Label):
    """One line at the bottom: what just happened, errors in red. Stays until the next."""

    level = StringProperty("info")

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("font_size", sp(SIZES["text"]))
        kw.setdefault("halign", "left")
        kw.setdefault("valign", "middle")
        kw.setdefault("size_hint_y", None)
        kw.setdefault("height", dp(SIZES["message"]))
        kw.setdefault("shorten", True)
        kw.setdefault("shorten_from", "right")
        super().__init__(**kw)
        self._bg = fill(self, COLOURS["panel"])
        self.bind(size=self._wrap, level=self._paint)
        self._paint()

    def _wrap(self, *_args: Any) -> None:
        self.text_size = (max(self.width - dp(16), 1), self.height)

    def _paint(self, *_args: Any) -> None:
        self._bg.rgba = {
            "error": COLOURS["bad"],
            "warning": COLOURS["warning"],
        }.get(self.level, COLOURS["panel"])

    def say(self, text: str, level: str = "info") -> None:
        self.text = text
        self.level = level


class Keypad(BoxLayout):
    """Digits, a comma, clear and back space, with the typed entry on top.

    `keys` adds function keys after the digits: (label, tag, callback(entry)).
    A function key gets what was typed and the entry is cleared.
    """

    entry = StringProperty("")
    hint = StringProperty("")
    max_length = NumericProperty(14)

    def __init__(
        self,
        keys: Sequence[tuple[str, str, Callable[[str], Any]]] = (),
        *,
        tag: str = "keypad",
        mask: bool = False,
        **kw: Any,
    ) -> None:
        kw.setdefault("orientation", "vertical")
        kw.setdefault("spacing", dp(4))
        super().__init__(**kw)
        self.tag = tag
        self.mask = mask
        self.display = TextLabel(
            size_hint_y=None,
            height=dp(SIZES["key"]),
            font_size=sp(28),
            halign="right",
            color=COLOURS["ticket_text"],
        )
        fill(self.display, COLOURS["ticket"])
        self.add_widget(self.display)
        grid = GridLayout(cols=4, spacing=dp(4))
        rows = [
            ["7", "8", "9", "back"],
            ["4", "5", "6", "clear"],
            ["1", "2", "3", None],
            ["0", ",", None, None],
        ]
        extra = list(keys)
        for row in rows:
            for key in row:
                if key == "," and mask:  # a PIN has no decimal comma
                    grid.add_widget(Widget())
                    continue
                if key is None:
                    if extra:
                        label, ktag, call = extra.pop(0)
                        grid.add_widget(self._function(label, ktag, call))
                    else:
                        grid.add_widget(Widget())
                    continue
                grid.add_widget(self._key(key))
        self.add_widget(grid)
        self.bind(entry=self._show, hint=self._show)
        self._show()

    def _key(self, key: str) -> TouchButton:
        label = {"back": _("Back"), "clear": "C", ",": decimal_separator()}.get(key, key)
        size = sp(18) if key == "back" else sp(26)
        b = TouchButton(label, tag=f"{self.tag}:{key}", font_size=size)
        if key in ("back", "clear"):
            b.colour = list(COLOURS["danger"]) if key == "clear" else list(COLOURS["key"])
        b.bind(on_release=lambda *_: self.press(key))
        return b

    def _function(self, label: str, tag: str, call: Callable[[str], Any]) -> TouchButton:
        b = TouchButton(label, tag=tag, colour=list(COLOURS["function"]))

        def run(*_args: Any) -> None:
            typed, self.entry = self.entry, ""
            call(typed)

        b.bind(on_release=run)
        return b

    def press(self, key: str) -> None:
        if key == "back":
            self.entry = self.entry[:-1]
        elif key == "clear":
            self.entry = ""
        elif key == "," and ("," in self.entry or "." in self.entry):
            return
        elif len(self.entry) < self.max_length:
            # the decimal key types the language's separator: "2,50" or "2.50"
            self.entry += decimal_separator() if key == "," else key

    def _show(self, *_args: Any) -> None:
        if self.entry:
            self.display.text = "*" * len(self.entry) if self.mask else self.entry
            self.display.color = COLOURS["ticket_text"]
            self.display.font_size = sp(28)
        else:
            self.display.text = self.hint
            self.display.color = COLOURS["ticket_pending"]
            self.display.font_size = sp(SIZES["text"])


# -- the ticket ---------------------------------------------------------------------------
class TicketRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """One line of the ticket: quantity, name (and its discount), unit price, line total.
    Touching it selects it (void, quantity, discount act on the selected line)."""

    line_index = NumericProperty(-1)
    qty = StringProperty("")
    label = StringProperty("")
    detail = StringProperty("")
    unit = StringProperty("")
    total = StringProperty("")
    selected = BooleanProperty(False)
    provisional = BooleanProperty(False)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.orientation = "horizontal"
        self.padding = (dp(6), 0)
        self.rv: Any = None
        self._bg = fill(self, COLOURS["ticket"])
        size = sp(SIZES["text"])
        ink = COLOURS["ticket_text"]
        self._qty = TextLabel(size_hint_x=0.13, font_size=size, color=ink, bold=True)
        # no markup: a markup label renders its colour into its text
        self._name = TextLabel(size_hint_x=0.51, font_size=size, color=ink)
        self._unit = TextLabel(size_hint_x=0.17, font_size=sp(SIZES["small"]), color=ink)
        self._total = TextLabel(size_hint_x=0.19, font_size=size, color=ink, bold=True)
        self._unit.halign = self._total.halign = "right"
        for w in (self._qty, self._name, self._unit, self._total):
            w.shorten = w is not self._name  # a name wraps, with its discount under it
            self.add_widget(w)
        self.bind(
            qty=self._refresh,
            label=self._refresh,
            detail=self._refresh,
            unit=self._refresh,
            total=self._refresh,
            selected=self._refresh,
            provisional=self._refresh,
        )

    def refresh_view_attrs(self, rv: Any, index: int, data: dict[str, Any]) -> Any:
        self.rv = rv
        return super().refresh_view_attrs(rv, index, data)

    def _refresh(self, *_args: Any) -> None:
        self._qty.text = self.qty
        name = self.label
        if self.detail:
            name += f"\n{self.detail}"
        self._name.text = name
        self._unit.text = self.unit
        self._total.text = self.total
        # grey until the core confirms it: a colour change draws again without
        # rendering the text again (italic would render four labels once more)
        ink = COLOURS["ticket_pending"] if self.provisional else COLOURS["ticket_text"]
        for w in (self._qty, self._name, self._unit, self._total):
            w.color = ink
        self._bg.rgba = COLOURS["ticket_selected"] if self.selected else COLOURS["ticket"]

    def on_release(self) -> None:
        if self.rv is not None and not self.provisional and self.line_index >= 0:
            self.rv.choose(self.line_index)


class TicketView(RecycleView):
    """The lines of the sale, newest at the bottom; only the visible rows are widgets,
    so a 200-line ticket costs what a 10-line one does."""

    def __init__(self, on_choose: Callable[[int], Any], **kw: Any) -> None:
        super().__init__(**kw)
        self.on_choose = on_choose
        self.bar_width = dp(10)
        self.scroll_type = ["bars", "content"]
        layout = RecycleBoxLayout(
            default_size=(None, dp(SIZES["row"]) * 1.15),
            default_size_hint=(1, None),
            size_hint=(1, None),
            orientation="vertical",
            spacing=dp(1),
        )
        layout.bind(minimum_height=layout.setter("height"))
        self.add_widget(layout)
        self.viewclass = TicketRow  # once the layout is there: it is the layout's
        fill(self, COLOURS["ticket"])

    def choose(self, index: int) -> None:
        self.on_choose(index)

    def show(self, rows: list[dict[str, Any]], follow: bool) -> None:
        """Change only the rows that changed: a row keeps its view and its rendered
        text, so adding a line to a long ticket renders one row, not all in sight."""
        data = self.data
        grew = len(rows) != len(data)
        for i in range(min(len(data), len(rows))):
            if data[i] != rows[i]:
                data[i] = rows[i]
        if len(rows) > len(data):
            data.extend(rows[len(data) :])
        elif len(rows) < len(data):
            del data[len(rows) :]
        if follow and grew:  # a line confirmed in place moves nothing
            Clock.schedule_once(self._follow, 0)

    def _follow(self, *_args: Any) -> None:
        """The newest line in sight; a short ticket starts at the top."""
        lm = self.layout_manager
        self.scroll_y = 0 if lm is not None and lm.height > self.height else 1


def walk_tagged(root: Widget) -> dict[str, Widget]:
    """Every widget with a non-empty `tag` under `root`, by tag (the last one wins)."""
    found: dict[str, Widget] = {}
    for w in root.walk(restrict=True):
        tag = getattr(w, "tag", "")
        if tag:
            found[tag] = w
    return found
