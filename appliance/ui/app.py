"""The Kivy application of the till: one window, the till core behind it.

    till = Till(data_dir, server_hint=url)
    TillApp(till, lang="fr").run()

`side` puts a panel on the right of the till's screen (the demo's scanner
buttons and receipt view, `demo.py`): `TillApp(till, side=lambda ctl: ...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.core.window import Window
from kivy.uix.widget import Widget

from . import i18n
from .controller import TillController
from .keyboard import use_layout
from .theme import COLOURS
from .view import TillRoot
from .widgets import use_till_clipboard

__all__ = ["TillApp", "build_root"]


def build_root(
    ctl: TillController, side: Callable[[TillController], Widget] | None = None
) -> TillRoot:
    """The till's widget tree wired to `ctl` (and the pump to Kivy's clock)."""
    from kivy.clock import Clock

    Window.clearcolor = COLOURS["background"]
    use_till_clipboard()
    config = getattr(ctl.till, "config", None)
    use_layout(str(getattr(getattr(config, "settings", None), "keyboard", "") or ""))
    ctl.pump.schedule = Clock.create_trigger(ctl.pump.drain, 0)
    return TillRoot(ctl, side=side(ctl) if side is not None else None)


class TillApp(App):
    title = "Autonome"

    def __init__(
        self,
        till: Any,
        *,
        lang: str = "fr",
        side: Callable[[TillController], Widget] | None = None,
        scanner_rings_up: bool | None = None,
        after_start: Callable[[Any], Any] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        i18n.use(lang)
        self.lang = lang
        self.side = side
        self.ctl = TillController(till, scanner_rings_up=scanner_rings_up, after_start=after_start)

    def build(self) -> TillRoot:
        return build_root(self.ctl, self.side)

    def on_start(self) -> None:
        self.ctl.start()

    def on_stop(self) -> None:
        self.ctl.stop()
