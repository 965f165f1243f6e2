"""Drive the till's window by touch, in a child pytest (see conftest.py).

`TillScreen` puts the real till core behind the real screens on an offscreen
Kivy window, then presses buttons the way a finger does: a touch down and up
at the button's centre, dispatched by Kivy's event loop to whatever widget is
there (a button hidden under a dialog, or disabled, does not react).
Buttons are found by their `tag`; only what is on screen can be found.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.processes import ServerProcess
from testbed.rig import enrol

#: how long a touch waits for its widget to be on screen
TOUCH_WAIT_S = 5


def enrolled_till(server: ServerProcess, folder: Path, url: str | None = None, **settings: Any):
    """A `Till` core enrolled with `server` (reaching it at `url`), not started."""
    from appliance.till import Till

    enrol(server, folder, "till UI", url)
    conf = json.loads((folder / "till.json").read_text())
    conf["settings"].update({"mdns": False, **settings})
    (folder / "till.json").write_text(json.dumps(conf))
    return Till(folder, server_hint=url or server.url, mdns=False)


class TillScreen:
    def __init__(
        self,
        till: Any,
        size: tuple[int, int] = (1024, 768),
        lang: str = "en",
        side: Callable[[Any], Any] | None = None,
        after_start: Callable[[Any], Any] | None = None,
    ) -> None:
        from kivy.base import EventLoop
        from kivy.config import Config

        Config.set("graphics", "maxfps", "0")
        Config.set("graphics", "multisamples", "0")
        # an offscreen window keeps the size it was made with: the first screen sets it
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))
        from kivy.core.window import Window

        from appliance.ui import i18n
        from appliance.ui.app import build_root
        from appliance.ui.controller import TillController

        EventLoop.ensure_window()
        self.window = Window
        self.loop = EventLoop
        i18n.use(lang)
        self.till = till
        self.ctl = TillController(till, after_start=after_start)
        self.events: list[dict[str, Any]] = []
        self.ctl.listeners.append(self.events.append)
        Window.add_widget(build_root(self.ctl, side))
        self.ctl.start()
        self.frames(3)

    @property
    def root(self) -> Any:
        """The till's screen now (built again when the language changes)."""
        return self.ctl.view

    # -- time ----------------------------------------------------------------------
    def frames(self, n: int = 1) -> None:
        for _ in range(n):
            self.loop.idle()

    def until(self, predicate: Callable[[], Any], timeout: float = 15, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            self.loop.idle()
            got = predicate()
            if got:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"not seen within {timeout} s: {what or predicate}")
            time.sleep(0.01)

    def event(self, name: str, timeout: float = 15, **fields: Any) -> dict[str, Any]:
        """The first event `name` (with these fields) the screen has handled."""

        def seen() -> dict[str, Any] | None:
            for ev in self.events:
                if ev.get("event") == name and all(ev.get(k) == v for k, v in fields.items()):
                    return ev
            return None

        return self.until(seen, timeout, f"event {name} {fields or ''}")

    def idle(self, timeout: float = 15) -> None:
        """Until the worker has nothing left to do and the events are drawn."""
        self.until(lambda: self.ctl.worker.backlog == 0 and self.ctl.worker.current == 0, timeout)
        self.frames(3)

    # -- what is on screen ----------------------------------------------------------------
    def tagged(self) -> dict[str, Any]:
        from appliance.ui.widgets import walk_tagged

        found: dict[str, Any] = {}
        for top in reversed(self.window.children):  # the dialogs on top come first
            for tag, w in walk_tagged(top).items():
                found[tag] = w
        return found

    def find(self, tag: str) -> Any:
        w = self.tagged().get(tag)
        if w is None:
            raise AssertionError(f"nothing tagged {tag!r} on screen")
        return w

    def has(self, tag: str) -> bool:
        return tag in self.tagged()

    def text(self, tag: str) -> str:
        return str(self.find(tag).text)

    def screen(self) -> str:
        return str(self.root.screens.current)

    def dialogs(self) -> list[str]:
        return [getattr(w, "tag", type(w).__name__) for w in self.window.children[:-1]]

    # -- touching -------------------------------------------------------------------------
    def touch(self, tag: str) -> None:
        from kivy.tests.common import UnitTestTouch

        # a widget a command brings (the login screen after a logout) may come a few
        # frames late on a busy machine: wait for it as a cashier would, then touch
        deadline = time.monotonic() + TOUCH_WAIT_S
        while not self.has(tag) and time.monotonic() < deadline:
            self.loop.idle()  # find says what is missing after that
        w = self.find(tag)
        self.frames(1)
        x, y = w.to_window(*w.center)
        t = UnitTestTouch(x, y)
        t.touch_down()
        self.frames(1)
        t.touch_up()
        self.frames(2)

    def type(self, keypad: str, text: str) -> None:
        for ch in text:
            self.touch(f"{keypad}:{ch}")

    def login(self, cashier: str = "c1", pin: str = "1234") -> None:
        self.until(lambda: self.has(f"cashier:{cashier}"), 30, f"cashier {cashier} listed")
        self.touch(f"cashier:{cashier}")
        self.type("pin", pin)
        self.touch("login:ok")
        self.until(lambda: self.screen() == "sale", 20, "the sale screen")

    def close(self) -> None:
        self.ctl.stop()
        self.root.close()
        self.window.remove_widget(self.root)
        for w in list(self.window.children):
            self.window.remove_widget(w)
        self.frames(1)

    def screenshot(self, path: Path) -> None:
        self.frames(2)
        self.window.screenshot  # noqa: B018 - the window exists
        self.root.export_to_png(str(path))
