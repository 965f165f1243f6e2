"""`autonome ui --data DIR [--server URL]`: the till with its touchscreen.

Kivy is configured before it is imported: no command-line parsing of its
own (KIVY_NO_ARGS), its settings and logs in the till's folder (KIVY_HOME,
unless set), Python's logging, the window's size (or full screen).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

__all__ = ["attach_devices", "configure_kivy", "main", "no_screen", "offscreen_env"]

SIZE = re.compile(r"^(\d{3,5})x(\d{3,5})$")


def offscreen_env(home: Path) -> dict[str, str]:
    """The environment of a process whose Kivy window is drawn offscreen (screenshots,
    benchmarks, tests): quiet, its files in `home`, no argument parsing, no display."""
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        KIVY_NO_ARGS="1",
        KIVY_HOME=str(home),
        KIVY_LOG_MODE="PYTHON",
        KIVY_NO_FILELOG="1",
        KIVY_CLIPBOARD="dummy",
        SDL_VIDEODRIVER="offscreen",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def no_screen() -> bool:
    """A Linux machine with no display server for SDL to open a window on (no DISPLAY,
    WAYLAND_DISPLAY, nor SDL_VIDEODRIVER such as kmsdrm on the till's own screen)."""
    if not sys.platform.startswith("linux"):
        return False
    return not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))


def configure_kivy(home: Path | None, size: tuple[int, int] | None, fullscreen: bool) -> None:
    """Set Kivy's environment and window; call before anything imports Kivy."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("KIVY_HOME", str(home))
    from kivy.config import Config

    if size is not None:
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    # no multisampling: rectangles and text textures need none, and it halves the
    # time of a frame on a till without a GPU (Mesa's llvmpipe)
    Config.set("graphics", "multisamples", "0")
    Config.set("graphics", "resizable", "1")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    # the till's own on-screen keyboard (keyboard.py), in its language, never
    # covering the field it types into: Kivy's docked one stays away
    Config.set("kivy", "keyboard_mode", "system")
    Config.set("kivy", "exit_on_escape", "0")


def _size(text: str) -> tuple[int, int]:
    m = SIZE.match(text)
    if not m:
        raise argparse.ArgumentTypeError("a size is WIDTHxHEIGHT, e.g. 1024x768")
    return int(m.group(1)), int(m.group(2))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="autonome ui", description="the till, on its touchscreen")
    p.add_argument("--data", type=Path, required=True, help="the till's data folder (enrolled)")
    p.add_argument("--server", help="server URL to try first (mDNS still finds it again)")
    p.add_argument("--mdns-interface", action="append", default=[], metavar="IP")
    p.add_argument("--no-mdns", action="store_true", help="direct probes only")
    p.add_argument("--lang", choices=("fr", "en"), default=os.environ.get("AUTONOME_LANG", "fr"))
    p.add_argument("--size", type=_size, default=(1024, 768), help="window size (1024x768)")
    p.add_argument("--fullscreen", action="store_true", help="the till's own screen")
    p.add_argument(
        "--no-devices", action="store_true", help="ignore devices.toml (no scanner, printer...)"
    )
    p.add_argument("--log-level", default="INFO")
    a = p.parse_args(argv if argv is not None else sys.argv[1:])
    logging.basicConfig(
        level=getattr(logging, a.log_level.upper(), logging.INFO),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)

    from appliance.till import NotEnrolled, Till, TillConfig

    try:
        TillConfig.load(a.data)
    except NotEnrolled as e:
        print(f"autonome ui: {e}", file=sys.stderr)
        return 1
    if no_screen():
        print(
            "autonome ui: no screen here (no DISPLAY, WAYLAND_DISPLAY or SDL_VIDEODRIVER): "
            "the touchscreen cannot open; without a screen: "
            f"autonome till --headless --data {a.data}",
            file=sys.stderr,
        )
        return 1
    try:
        till = Till(
            a.data,
            server_hint=a.server,
            mdns_interfaces=a.mdns_interface or None,
            mdns=False if a.no_mdns else None,
        )
    except NotEnrolled as e:
        print(f"autonome ui: {e}", file=sys.stderr)
        return 1
    configure_kivy(a.data / "kivy", a.size, a.fullscreen)
    from .app import TillApp

    app = TillApp(till, lang=a.lang, after_start=None if a.no_devices else attach_devices)

    def _term(signum: int, frame: object) -> None:  # a clean stop: the till records it
        from kivy.clock import Clock

        Clock.schedule_once(lambda *_args: app.stop(), 0)

    signal.signal(signal.SIGTERM, _term)
    app.run()
    return 0


def attach_devices(till: Any) -> None:
    """The devices of the till's devices.toml (none without the file); a file that is
    wrong leaves the till selling without them, and the screen says why."""
    from appliance.till.devconfig import DevicesConfigError, load_devices

    try:
        config = load_devices(till.data_dir)
    except DevicesConfigError as e:
        till.error("devices_config", f"{e}: the till sells without its devices")
        return
    if config.empty:
        return
    from appliance.till.devices import TillDevices

    TillDevices.attach(till, config)


if __name__ == "__main__":
    sys.exit(main())
