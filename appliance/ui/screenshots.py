"""`python -m appliance.ui.screenshots OUT` (`make screenshots`): the till's screens as
PNG files, at 1024x768 and 1280x800: login, sale, payment, tables, cash control,
question, autonomous, upload.

A demo store server runs on loopback (`autonome server init --demo`), a till is
enrolled with it and runs in this process behind the real screens on an
offscreen window, with a simulated scanner, receipt printer and drawer
(`DEVICES`, its devices.toml), as a till in a shop has them; the server is
stopped for the autonomous screens and started again for the upload. Kivy
must be able to open a window (Mesa's EGL).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.till.devconfig import sim_devices

__all__ = ["main"]

SIZES = ((1024, 768), (1280, 800))
#: the till's devices, simulated: the status bar shows them ready
DEVICES = sim_devices()


def _prepare(work: Path, size: tuple[int, int]) -> None:
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ.setdefault("KIVY_CLIPBOARD", "dummy")
    from .cli import configure_kivy

    configure_kivy(work / "kivy", size, False)
    from kivy.config import Config

    Config.set("graphics", "maxfps", "0")


class Shooter:
    def __init__(self, ctl: Any, out: Path, work: Path) -> None:
        from kivy.base import EventLoop
        from kivy.core.window import Window

        EventLoop.ensure_window()
        self.loop = EventLoop
        self.window = Window
        self.ctl = ctl
        self.out = out
        self.work = work

    def frames(self, n: int = 3) -> None:
        for _ in range(n):
            self.loop.idle()

    def until(self, predicate: Callable[[], Any], timeout: float = 30, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise RuntimeError(f"screenshots: no {what} within {timeout} s")
            self.loop.idle()
            time.sleep(0.01)

    def settle(self) -> None:
        self.until(
            lambda: self.ctl.worker.backlog == 0 and self.ctl.worker.current == 0, 30, "idle"
        )
        self.frames(4)

    def shoot(self, name: str) -> None:
        self.frames(6)
        w, h = self.window.size
        made = self.window.screenshot(name=str(self.work / "shot.png"))
        target = self.out / f"{name}-{w}x{h}.png"
        shutil.move(made, target)
        print(target, flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m appliance.ui.screenshots")
    p.add_argument("out", type=Path, nargs="?", default=Path("docs/screenshots"))
    p.add_argument("--lang", choices=("fr", "en"), default="fr")
    p.add_argument("--size", help="one size, WIDTHxHEIGHT (default: each of SIZES in turn)")
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    if a.size is None:
        # an offscreen window keeps its first size: one process a size
        for w, h in SIZES:
            command = [sys.executable, "-m", "appliance.ui.screenshots", str(a.out)]
            done = subprocess.run([*command, "--lang", a.lang, "--size", f"{w}x{h}"])
            if done.returncode != 0:
                return done.returncode
        return 0
    w, h = (int(x) for x in a.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="autonome-shots-"))
    try:
        _prepare(work, (w, h))
        return _run(a.out, a.lang, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(out: Path, lang: str, work: Path) -> int:
    import json

    from appliance.demo_printers import NO_PRINTERS
    from appliance.processes import ServerProcess, TillProcess, autonome
    from appliance.till import Till

    from . import i18n
    from .app import build_root
    from .cli import attach_devices
    from .controller import TillController

    server = ServerProcess(work / "server", mdns=False)
    server.data.mkdir()
    # the kitchen and bar printers on loopback's discard port: no demo's printer gets a ticket
    autonome("server", "init", "--data", str(server.data), "--demo", *NO_PRINTERS, timeout=300)
    autonome("snapshot", "build", "--data", str(server.data))
    server.start()
    try:
        folder = work / "till"
        TillProcess(folder, "Caisse 1").enroll(server.enrolment_code("Caisse 1"), server.url)
        conf = json.loads((folder / "till.json").read_text())
        conf["settings"].update(mdns=False, back_probe_s=0.5)
        (folder / "till.json").write_text(json.dumps(conf))
        (folder / "devices.toml").write_text(DEVICES)
        till = Till(folder, server_hint=server.url, mdns=False)
        i18n.use(lang)
        ctl = TillController(till, after_start=attach_devices)
        from kivy.core.window import Window

        shots = Shooter(ctl, out, work)
        root = build_root(ctl)
        Window.add_widget(root)
        ctl.start()
        st = ctl.state
        shots.until(lambda: st.mode == "ONLINE" and till.catalogue is not None, 30, "online")
        shots.until(lambda: _ready(st.devices), 15, "the simulated devices ready")
        shots.settle()
        root.login.choose("c1")
        root.login.pad.entry = "12"
        shots.frames()
        shots.shoot("login")

        ctl.login("c1", "1234")
        shots.until(lambda: st.cashier is not None, 10, "login")
        names = ["Baguette tradition", "Croissant", "Pain au chocolat", "Café crème"]
        ids = {row["name"]: aid for aid, row in till.catalogue.articles.items()}
        for name in names:
            ctl.add(ids[name])
        shots.settle()
        ctl.select(1)
        ctl.set_quantity("4")
        shots.settle()
        ctl.select(2)
        ctl.discount(line=True, percent=10)
        shots.settle()
        ctl.select(0)
        shots.frames()
        shots.shoot("sale")

        ctl.select(0)
        root.screens.current = "payment"
        ctl.pay("meal_voucher", 500)
        shots.settle()
        root.payment.keypad.entry = "20"
        shots.frames()
        shots.shoot("payment")
        root.payment.keypad.entry = ""
        ctl.pay("cash", 2000)
        shots.settle()
        shots.frames()
        shots.shoot("change")
        root.payment._new_sale()
        _close_drawer(shots, till, ctl)  # the cashier pushes the drawer shut
        _tables(shots, root, till, ids)
        _shop(shots, root, till, ctl, ids)
        _cash(shots, ctl)

        ctl.add(ids["Baguette"])
        ctl.add(ids["Expresso"])
        shots.settle()
        server.kill()
        shots.until(lambda: st.question is not None, 15, "the go-autonomous question")
        shots.frames()
        shots.shoot("question")
        ctl.answer("go_autonomous", "yes")
        shots.until(lambda: st.mode == "AUTONOMOUS", 10, "autonomous mode")
        root.screens.current = "payment"
        ctl.pay("card")
        shots.settle()
        root.payment._new_sale()
        ctl.add(ids["Jambon-beurre"])
        ctl.add(ids["Coca-Cola 33 cl"])
        shots.settle()
        shots.shoot("autonomous")

        root.screens.current = "payment"
        ctl.pay("cash", 1000)
        shots.settle()
        root.payment._new_sale()
        _close_drawer(shots, till, ctl)
        server.start()
        shots.until(lambda: st.question is not None, 30, "the send-sales question")
        shots.frames()
        shots.shoot("send")
        ctl.answer("send_sales", "send")
        shots.until(lambda: st.upload.get("state") == "finished", 30, "the upload's end")
        shots.settle()
        shots.shoot("upload")
        ctl.stop()
        root.close()
    finally:
        server.stop()
    return 0


def _cash(shots: Shooter, ctl: Any) -> None:
    """The cash dialog, the drawer half counted: a float, notes and coins typed."""
    from .dialog_cash import CashDialog

    ctl.till.cash("float", amount=15000)
    shots.settle()
    dialog = CashDialog(ctl)
    dialog.open()
    for denomination, pieces in ((5000, "2"), (2000, "3"), (1000, "4"), (200, "6")):
        dialog._choose(denomination)
        dialog._set_pieces(pieces)
    shots.settle()
    shots.shoot("cash")
    dialog.dismiss()
    shots.frames()


def _tables(shots: Shooter, root: Any, till: Any, ids: dict[str, str]) -> None:
    """The floor plan with tables open, and one table's bill: a drink sent, the main
    with its cooking, an extra and a note waiting for its course."""
    orders = {
        "T2": [("Café crème", 0, []), ("Croissant", 0, [])],
        "T6": [("Plat du jour", 2, []), ("Plat du jour", 2, []), ("Verre de vin rouge", 0, [])],
        "T3": [
            ("Bière pression 25 cl", 0, []),
            ("Soupe du jour", 1, []),
            ("Plat du jour", 2, ["saignant", "supp-fromage"]),
        ],
    }
    for tid, lines in orders.items():
        till.table("open", tid, covers=len(lines) + 1)
        for name, course, mods in lines:
            note = "sauce à part" if mods else ""
            till.table("order", tid, article_id=ids[name], course=course, modifiers=mods, note=note)
        till.table("send", tid, course=1)
    shots.settle()
    root.screens.current = "tables"
    shots.settle()
    shots.shoot("tables")
    root.floor._show_table("T3")
    shots.settle()
    shots.shoot("table")
    root.screens.current = "sale"
    shots.settle()


def _shop(shots: Shooter, root: Any, till: Any, ctl: Any, ids: dict[str, str]) -> None:
    """The refund screen with a sale found and a line chosen, the held orders, the
    price check with its results."""
    from .dialog_held import HeldDialog
    from .dialog_search import SearchDialog

    for name in ("Croissant", "Croissant", "Café crème", "Baguette tradition"):
        till.add(ids[name])
    sold = till.pay("card")
    root.screens.current = "refund"
    till.refund("find", ticket=str(sold["seq"]))
    shots.settle()
    root.refund._step(0, +1)
    root.refund._step(0, +1)
    shots.frames()
    shots.shoot("refund")
    root.refund._back()
    for name in ("Pain au chocolat", "Jus d'orange 25 cl"):
        till.add(ids[name])
    till.hold("park", note="revient dans 5 minutes")
    till.add(ids["Baguette"])
    till.hold("park")
    shots.settle()
    held = HeldDialog(ctl)
    held.open()
    shots.settle()
    shots.shoot("held")
    held.dismiss()
    search = SearchDialog(ctl)
    search.open()
    search.field.text = "pain"
    shots.settle()
    shots.shoot("search")
    search.dismiss()
    shots.settle()


def _close_drawer(shots: Shooter, till: Any, ctl: Any) -> None:
    """Once a cash sale's drawer is open, the cashier pushes it shut; the till sees it
    at its next reading of the printer's status."""

    def drawer(state: str) -> Callable[[], bool]:
        return lambda: (ctl.state.devices.get("drawer") or {}).get("state") == state

    shots.until(drawer("open"), 15, "the drawer open")
    till.devices.sim.printer.drawer.close()
    shots.until(drawer("closed"), 30, "the drawer closed")


def _ready(devices: dict[str, Any]) -> bool:
    from .view import device_state

    return all(device_state(devices.get(k))[0] == "ok" for k in ("printer", "scanner", "drawer"))


if __name__ == "__main__":
    sys.exit(main())
