"""The pieces of the demo window, beside the till's own screen.

- `DemoPanel`: buttons that make the simulated scanner read a code (a few
  articles of the catalogue and an unknown code), and a switch that unplugs
  the store server and plugs it back. Both act through callables given by
  whoever assembles the demo, run on a thread of their own (a simulated scan
  types its reports with delays; stopping a server takes a moment). The
  computer's keyboard is a scanner too: F1..F6 read the first six buttons'
  codes, and digits typed then Enter are read as one code, through the same
  `scan` (never while a text field has the focus; the panel takes these keys
  before the sale screen does, and none once it is off the window or closed).
- `ReceiptView`: the last receipt as the simulated printer rendered it (the
  `png` of `receipt_printed` / `receipt_not_printed` / `receipt_uncertain`).
- `demo_side(...)`: both in one column, for `TillApp(till, side=...)`.

    app = TillApp(
        till,
        after_start=attach_devices,     # devices.toml with kind = "sim"
        side=lambda ctl: demo_side(
            ctl,
            scan=lambda code: till.devices.sim.scanner.scan(code),
            unplug=lambda plugged: cable.mend() if plugged else cable.cut(),
        ),
    )
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.scrollview import ScrollView

from .controller import TillController
from .i18n import _
from .keys import TypedCode, function_key, key_router
from .theme import COLOURS, TOUCH
from .widgets import TextLabel, TouchButton, fill

__all__ = ["DemoPanel", "ReceiptView", "demo_side", "sample_codes"]

log = logging.getLogger(__name__)

UNKNOWN_CODE = "2000000000008"
#: F1..F_SHORTCUTS read the panel's first codes
SHORTCUTS = 6
#: digits typed by hand for the simulated scanner: a pause longer than this starts again
TYPING_GAP_S = 15.0
#: the panel takes keys before the sale screen (priority 0)
KEY_PRIORITY = 10


def sample_codes(catalogue: Any, n: int = 6) -> list[tuple[str, str]]:
    """(label, barcode) of the first `n` articles of the till's pages that have one,
    and an unknown code."""
    out: list[tuple[str, str]] = []
    if catalogue is not None:
        for page in getattr(catalogue, "screens", None) or []:
            for b in page.get("buttons") or []:
                article = catalogue.by_id(str(b.get("article_id")))
                codes = (article or {}).get("barcodes") or []
                if codes and all(code != codes[0] for _l, code in out):
                    out.append((str(article.get("name")), str(codes[0])))
                if len(out) >= n:
                    break
            if len(out) >= n:
                break
    out.append((_("Unknown code"), UNKNOWN_CODE))
    return out


def _in_thread(name: str, call: Callable[[], Any]) -> None:
    def run() -> None:
        try:
            call()
        except Exception:  # the demo goes on
            log.exception("demo: %s failed", name)

    threading.Thread(target=run, name=f"demo-{name}", daemon=True).start()


class DemoPanel(BoxLayout):
    """The simulated scanner's trigger and the server's plug."""

    def __init__(
        self,
        ctl: TillController,
        *,
        scan: Callable[[str], Any],
        unplug: Callable[[bool], Any] | None = None,
        codes: Sequence[tuple[str, str]] | None = None,
        **kw: Any,
    ) -> None:
        kw.setdefault("orientation", "vertical")
        kw.setdefault("spacing", dp(6))
        kw.setdefault("padding", dp(8))
        super().__init__(**kw)
        fill(self, COLOURS["panel"])
        self.ctl = ctl
        self.scan = scan
        self.unplug = unplug
        self.plugged = True
        self.title = TextLabel(
            text=_("Demo: simulated scanner"),
            bold=True,
            size_hint_y=None,
            height=dp(32),
            color=COLOURS["text"],
            shorten=True,
        )
        self.title.tag = "demo:title"
        self.add_widget(self.title)
        #: the codes F1, F2... read
        self.shortcuts: list[str] = []
        self.typed = TypedCode(TYPING_GAP_S)
        self.codes = GridLayout(cols=2, spacing=dp(4), size_hint_y=None)
        self.codes.bind(minimum_height=self.codes.setter("height"))
        self.add_widget(self.codes)
        self.fill_codes(codes)
        self.server = TouchButton(
            _("Unplug the store server"),
            tag="demo:unplug",
            colour=list(COLOURS["danger"]),
            size_hint_y=None,
            height=dp(TOUCH * 1.2),
            disabled=unplug is None,
        )
        self.server.bind(on_release=lambda *_: self.toggle_server())
        self.add_widget(self.server)
        self._keys_off = key_router().add(self.typed_key, priority=KEY_PRIORITY)

    def close(self) -> None:
        """The keyboard is no longer the panel's."""
        self._keys_off()

    def fill_codes(self, codes: Sequence[tuple[str, str]] | None = None) -> None:
        self.codes.clear_widgets()
        self.shortcuts = []
        for label, code in codes or sample_codes(self.ctl.till.catalogue):
            if len(self.shortcuts) < SHORTCUTS:
                self.shortcuts.append(code)
                label = f"F{len(self.shortcuts)} {label}"
            b = TouchButton(
                label,
                tag=f"demo:scan:{code}",
                font_size=sp(15),
                size_hint_y=None,
                height=dp(TOUCH),
            )
            b.bind(on_release=lambda _b, c=code: self.press(c))
            self.codes.add_widget(b)

    def press(self, code: str) -> None:
        _in_thread("scan", lambda: self.scan(code))

    def typed_key(self, key: int, codepoint: str | None) -> bool:
        """A key of the computer's keyboard (`keys.key_router`): F1..F6 read a button's
        code, digits then Enter one code; taken only while the panel is on the window."""
        if self.get_root_window() is None:
            self.typed.reset()
            return False
        number = function_key(key)
        if number is not None:
            if number > len(self.shortcuts):
                return False
            self.press(self.shortcuts[number - 1])
            return True
        taken, code = self.typed.key(key, codepoint)
        if code is not None:
            self.press(code)
        if self.typed.digits:
            self.title.text = _("Keyboard: {digits}").format(digits=self.typed.digits)
        else:
            self.title.text = _("Demo: simulated scanner")
        return taken

    def toggle_server(self) -> None:
        if self.unplug is None:
            return
        self.plugged = not self.plugged
        plugged = self.plugged
        _in_thread("unplug", lambda: self.unplug(plugged))  # type: ignore[misc]
        if plugged:
            self.server.label = _("Unplug the store server")
            self.server.colour = list(COLOURS["danger"])
        else:
            self.server.label = _("Plug the store server back")
            self.server.colour = list(COLOURS["pay"])


class ReceiptView(BoxLayout):
    """The last receipt the simulated printer rendered, scrollable."""

    def __init__(self, ctl: TillController, **kw: Any) -> None:
        kw.setdefault("orientation", "vertical")
        kw.setdefault("padding", dp(8))
        kw.setdefault("spacing", dp(6))
        super().__init__(**kw)
        fill(self, COLOURS["panel"])
        self.title = TextLabel(text=_("Last receipt"), bold=True, size_hint_y=None, height=dp(32))
        self.add_widget(self.title)
        self.scroll = ScrollView(bar_width=dp(8))
        self.image = Image(size_hint_y=None, fit_mode="contain")
        self.image.tag = "demo:receipt"
        self.scroll.add_widget(self.image)
        self.add_widget(self.scroll)
        self.path: str | None = None
        ctl.listeners.append(self.on_event)
        if ctl.state.last_receipt_png:
            self.show(ctl.state.last_receipt_png)

    def on_event(self, event: dict[str, Any]) -> None:
        name = event.get("event")
        if name in ("receipt_printed", "receipt_not_printed", "receipt_uncertain") and event.get(
            "png"
        ):
            self.show(str(event["png"]))
            if name != "receipt_printed":
                self.title.text = _("Last receipt (not printed whole)")
            else:
                self.title.text = _("Last receipt")

    def show(self, path: str) -> None:
        """Show the PNG at `path` (read again even if the name is the same)."""
        if not Path(path).exists():
            return
        self.path = path
        self.image.source = path
        self.image.reload()
        Clock.schedule_once(self._size, 0)

    def _size(self, *_args: Any) -> None:
        tw, th = self.image.texture_size
        if tw:
            self.image.height = th * self.scroll.width / tw
            self.scroll.scroll_y = 1


def demo_side(
    ctl: TillController,
    *,
    scan: Callable[[str], Any],
    unplug: Callable[[bool], Any] | None = None,
    codes: Sequence[tuple[str, str]] | None = None,
    width: float = 380,
) -> BoxLayout:
    """The demo's column: the panel on top, as tall as its buttons (never clipped at the
    top), the receipt below in the rest, `width` dp wide."""
    side = BoxLayout(orientation="vertical", size_hint_x=None, width=dp(width), spacing=dp(4))
    side.panel = DemoPanel(ctl, scan=scan, unplug=unplug, codes=codes, size_hint_y=None)
    side.panel.bind(minimum_height=side.panel.setter("height"))
    side.receipt = ReceiptView(ctl)
    side.add_widget(side.panel)
    side.add_widget(side.receipt)
    # the codes come from the catalogue, which the till loads after the window opens
    ctl.listeners.append(
        lambda ev: (
            side.panel.fill_codes(codes)
            if ev.get("event") in ("_started", "snapshot_installed") and codes is None
            else None
        )
    )
    return side
