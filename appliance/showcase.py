"""`autonome demo` (`make demo`): the product on one screen, with throw-away data.

A store server with the demo bakery-café, its kitchen and bar printers
(simulated, on 127.0.0.1:9101 and 9102, when the ports are free), and one
till window with a simulated French scanner, receipt printer and cash drawer.
Beside the till, the demo panel: buttons (and F1..F6, or digits and Enter on
the keyboard) make the simulated scanner read a code through the real USB
reader; the last receipt as the simulated printer drew it; and a switch that
unplugs the store server (the server process is frozen, as a pulled cable
would leave it: no answer) and plugs it back. So a newcomer sees the whole
story: the question, autonomous mode, and the upload once the server is back.

Cashier c1, PIN 1234; manager m1, PIN 9876. The receipts are also written to
--out (PNG), and each is named in the terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from appliance.demo_printers import DEMO_PORTS, printer_options, start_kitchen_printers
from appliance.processes import ServerProcess, TillProcess, autonome
from appliance.till.devconfig import sim_devices

__all__ = ["Showcase", "main"]

log = logging.getLogger(__name__)

SIDE_WIDTH = 380  # the demo panel beside the till's screen


class Showcase:
    """The demo's store and till folder; `run()` opens the window."""

    def __init__(
        self,
        root: Path,
        *,
        out: Path | None,
        say=print,
        kitchen_ports: Mapping[str, int] = DEMO_PORTS,
    ) -> None:
        self.root = root
        self.kitchen_ports = kitchen_ports
        self.out = out
        self.say = say
        self.server = ServerProcess(root / "server", mdns=False)
        self.till_dir = root / "till"
        self.kitchen: dict[str, Any] = {}
        self.plugged = True
        self._lock = threading.Lock()
        self._receipts = 0

    # -- the store -----------------------------------------------------------------
    def start_store(self) -> None:
        self.server.data.mkdir(parents=True)
        self.kitchen = start_kitchen_printers(self.say, self.kitchen_ports)
        self.server.init("--demo", *printer_options(self.kitchen))
        autonome("snapshot", "build", "--data", str(self.server.data))
        self.server.start()
        enrol = TillProcess(self.till_dir, "Caisse 1")
        code = self.server.enrolment_code("Caisse 1")
        enrol.enroll(code, self.server.url, self.server.fingerprint())
        (self.till_dir / "devices.toml").write_text(sim_devices())
        self.say(f"store server {self.server.url} (demo bakery-café), till enrolled")

    def plug(self, plugged: bool) -> None:
        """The store server's cable: unplugged, the server is frozen (SIGSTOP), so
        the till hears nothing, as when a cable is pulled; plugged back, it runs on."""
        proc = self.server.proc
        if proc is None or proc.poll() is not None:
            return
        with self._lock:
            if plugged == self.plugged:
                return
            os.kill(proc.pid, signal.SIGCONT if plugged else signal.SIGSTOP)
            self.plugged = plugged
        self.say("server plugged back in" if plugged else "server unplugged")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.plug(True)  # a frozen process cannot stop cleanly
        self.server.stop()
        for printer in self.kitchen.values():
            printer.close()

    # -- the till ----------------------------------------------------------------------
    def on_event(self, event: dict[str, Any]) -> None:
        """What the terminal says while the window runs (from the till's threads)."""
        name = event.get("event")
        if name == "mode":
            self.say(f"till: {event.get('mode')}")
        elif name == "question":
            self.say(f"till asks: {event.get('text', '')}")
        elif name in ("receipt_printed", "receipt_uncertain") and event.get("png"):
            self._receipts += 1
            where = Path(str(event["png"]))
            if self.out is not None:
                self.out.mkdir(parents=True, exist_ok=True)
                kept = self.out / f"receipt-{event.get('seq', self._receipts)}.png"
                shutil.copyfile(where, kept)
                where = kept
            self.say(f"receipt of sale {event.get('seq')} drawn: {where}")
        elif name == "upload_finished":
            self.say(f"till: {event.get('sent')} sales uploaded")

    def run(self, *, lang: str, size: tuple[int, int], fullscreen: bool, exit_after: float | None):
        from appliance.ui.cli import attach_devices, configure_kivy

        width, height = size
        configure_kivy(self.root / "kivy", (width + SIDE_WIDTH, height), fullscreen)
        from appliance.till import Till
        from appliance.ui.app import TillApp
        from appliance.ui.demo import demo_side

        till = Till(self.till_dir, server_hint=self.server.url, mdns=False)
        till.subscribe(self.on_event)

        def scan(code: str) -> None:
            devices = getattr(till, "devices", None)
            scanner = getattr(getattr(devices, "sim", None), "scanner", None)
            if scanner is None:  # the devices did not come up: the screen says why
                till.scan(code)
            else:
                scanner.scan(code)

        app = TillApp(
            till,
            lang=lang,
            after_start=attach_devices,
            side=lambda ctl: demo_side(ctl, scan=scan, unplug=self.plug),
        )
        from kivy.clock import Clock

        def stop(*_args: Any) -> None:
            Clock.schedule_once(lambda *_a: app.stop(), 0)

        signal.signal(signal.SIGTERM, lambda *_a: stop())
        if exit_after is not None:
            Clock.schedule_once(stop, exit_after)
        app.run()


def no_screen() -> bool:
    """A Linux machine with no display server for SDL to open a window on."""
    from appliance.ui.cli import no_screen as none

    return none()


def _size(text: str) -> tuple[int, int]:
    from appliance.ui.cli import _size as parse

    return parse(text)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="autonome demo", description=__doc__.splitlines()[0])
    p.add_argument("--lang", choices=("fr", "en"), default=os.environ.get("AUTONOME_LANG", "fr"))
    p.add_argument("--size", type=_size, default=(1024, 768), help="the till's screen (1024x768)")
    p.add_argument("--fullscreen", action="store_true")
    p.add_argument("--keep", type=Path, help="keep the demo's data in this new folder")
    p.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "autonome-demo",
        help="where the receipts are drawn (PNG)",
    )
    p.add_argument("--exit-after", type=float, metavar="S", help="close the window after S s")
    a = p.parse_args(argv if argv is not None else sys.argv[1:])
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("kivy").setLevel(logging.WARNING)

    def say(message: str) -> None:
        print(message, flush=True)

    if no_screen() and a.exit_after is None:
        print(
            "autonome demo: no screen here (no DISPLAY, WAYLAND_DISPLAY or SDL_VIDEODRIVER), "
            "so the same story without a window: the outage drill, its receipts drawn to "
            f"{a.out}. On a desktop the till's window opens; `make screenshots` draws it.\n",
            flush=True,
        )
        from appliance.drill import main as drill

        return drill(["--out", str(a.out)])
    if a.keep:
        a.keep.mkdir(parents=True, exist_ok=False)
    with tempfile.TemporaryDirectory(prefix="autonome-demo-") as tmp:
        show = Showcase(a.keep or Path(tmp), out=a.out, say=say)
        try:
            show.start_store()
            say("cashier c1 / PIN 1234, manager m1 / PIN 9876")
            show.run(lang=a.lang, size=a.size, fullscreen=a.fullscreen, exit_after=a.exit_after)
        finally:
            show.stop()
    say("demo closed")
    return 0
