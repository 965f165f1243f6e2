"""`autonome devices ...`: see, test and use the till's devices from a shell.

autonome devices list        [--data DIR | --sim] [--json]
autonome devices test-print  [--data DIR | --sim]
autonome devices open-drawer [--data DIR | --sim] [--reason TEXT]
autonome devices scan-test   [--data DIR | --sim] [--count N] [--timeout S]
autonome devices selftest    --sim [--json] [--data DIR]

`--data DIR` is the till's data folder (its devices.toml; the drawer's opening
is journaled there); `--sim` uses simulated devices in this process. A till
running on the same folder holds its USB devices: stop it first (open-drawer
says so).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from .devconfig import sim_devices

__all__ = ["SIM_DEVICES_TOML", "main"]

SIM_DEVICES_TOML = sim_devices(kitchen=("cuisine",))
SAMPLE_CODES = ("3760000000011", "3760000000028", "LOT-42a")


class CommandFailed(Exception):
    """Said on stderr, exit status 1."""


def _out(text: str = "") -> None:
    print(text, flush=True)


def _config(a: argparse.Namespace) -> Any:
    from .devconfig import DevicesConfigError, load_devices, parse_devices

    if a.sim:
        return parse_devices(SIM_DEVICES_TOML, "--sim")
    if a.data is None:
        raise CommandFailed("give --data DIR (the till's folder, with devices.toml) or --sim")
    try:
        config = load_devices(a.data)
    except DevicesConfigError as e:
        raise CommandFailed(str(e)) from None
    if config.empty:
        raise CommandFailed(
            f"{config.source}: no devices configured (the file is missing or empty)"
        )
    return config


def _folder(a: argparse.Namespace) -> Path:
    """Where the PNGs of the simulated printers go."""
    if a.data is not None:
        return Path(a.data) / "receipts"
    return Path(tempfile.mkdtemp(prefix="autonome-devices-"))


@contextlib.contextmanager
def _hardware(config: Any, **kw: Any) -> Iterator[Any]:
    from drivers.printer import Timeouts

    from .hardware import build_hardware

    hw = build_hardware(config, kw.pop("on_scan", None), timeouts=Timeouts(2.0, 10.0, 1.0), **kw)
    try:
        yield hw
    finally:
        hw.close()


def _printer_status(link: Any) -> dict[str, Any]:
    from drivers.printer import MESSAGES, PrinterError

    try:
        status = link.status()
    except PrinterError as e:
        return {"state": "problem", "code": e.code, "message": MESSAGES.get(e.code, e.message)}
    problems = status.problems
    state = "ok" if not problems else ("problem" if not status.can_print else "warning")
    return {
        "state": state,
        "code": problems[0] if problems else None,
        "message": status.message,
        "drawer_pin3_high": status.drawer_pin3_high,
    }


# -- list ---------------------------------------------------------------------------------
def _usb_devices(backend: Any, simulated: bool) -> list[dict[str, Any]]:
    import usb.core
    import usb.util

    from drivers.scanner.device import KNOWN_VENDORS, ScannerMatch

    out = []
    for dev in usb.core.find(find_all=True, backend=backend) or []:
        names = []
        for index in (dev.iManufacturer, dev.iProduct):
            try:
                names.append(usb.util.get_string(dev, index) if index else "")
            except (usb.core.USBError, ValueError, NotImplementedError):
                names.append("")
        classes = {intf.bInterfaceClass for cfg in dev for intf in cfg}
        kinds = []
        if ScannerMatch().accepts(dev):
            kinds.append(f"scanner ({KNOWN_VENDORS[dev.idVendor]})")
        elif 3 in classes:
            kinds.append("HID (a keyboard or a scanner of an unlisted vendor)")
        if 7 in classes:
            kinds.append("printer (USB printer class)")
        out.append({
            "vid_pid": f"{dev.idVendor:04x}:{dev.idProduct:04x}",
            "name": " ".join(n for n in names if n) or "?",
            "bus": dev.bus, "address": dev.address,
            "kind": ", ".join(kinds), "simulated": simulated,
        })  # fmt: skip
    return out


def _list(a: argparse.Namespace) -> int:
    from drivers.scanner.device import ScannerMatch
    from drivers.scanner.reader import default_backend

    config = _config(a)
    report: dict[str, Any] = {"usb": [], "configured": {}, "notes": []}
    with _hardware(config) as hw:
        backend = None
        try:
            backend = default_backend()
        except Exception as e:  # a broken libusb install: say it, list the rest
            report["notes"].append(f"libusb failed to load: {e}")
        if backend is None:
            report["notes"].append("libusb-1.0 is not available: real USB devices cannot be listed")
        else:
            report["usb"] += _usb_devices(backend, False)
        if hw.sim.bus is not None:
            report["usb"] += _usb_devices(hw.sim.bus, True)
        conf = report["configured"]
        if config.scanner is not None:
            sc = config.scanner
            bus = hw.sim.bus if sc.kind == "sim" else backend
            match = ScannerMatch.parse(sc.vid_pid)
            found = None
            if bus is not None:
                import usb.core

                dev = usb.core.find(backend=bus, custom_match=match.accepts)
                found = f"{dev.idVendor:04x}:{dev.idProduct:04x}" if dev is not None else None
            conf["scanner"] = {
                "kind": sc.kind, "vid_pid": sc.vid_pid or "any known scanner",
                "layout": sc.layout, "state": "found" if found else "not found",
                "device": found,
            }  # fmt: skip
        if hw.link is not None:
            pc = config.printer
            conf["printer"] = {"kind": pc.kind, "name": hw.link.name, "paper": pc.paper,
                               **_printer_status(hw.link)}  # fmt: skip
            if hw.drawer is not None:
                high = conf["printer"].pop("drawer_pin3_high", None)
                state = "unknown" if high is None else (
                    "open" if high == hw.drawer.config.open_is_high else "closed")  # fmt: skip
                d = config.drawer
                conf["drawer"] = {"pin": d.pin, "on_ms": d.on_ms, "off_ms": d.off_ms,
                                  "open_is_high": d.open_is_high, "state": state}  # fmt: skip
        kitchen = []
        for pid, kp in hw.kitchen.items():
            st = _printer_status(kp.printer.link)
            st.pop("drawer_pin3_high", None)
            kitchen.append({"id": pid, "kind": kp.config.kind, "address": kp.address, **st})
        if kitchen:
            conf["kitchen"] = kitchen
    if a.json:
        _out(json.dumps(report, ensure_ascii=False))
        return 0
    _out("USB devices:")
    for d in report["usb"]:
        sim = " (simulated)" if d["simulated"] else ""
        _out(f"  {d['vid_pid']}  {d['name']:<34} {d['kind']}{sim}")
    if not report["usb"]:
        _out("  none")
    for note in report["notes"]:
        _out(f"  ({note})")
    _out(f"Configured devices ({config.source}):")
    for name, c in conf.items():
        if name == "kitchen":
            for k in c:
                _out(f"  kitchen  {k['id']} {k['kind']} {k['address']}: {_said(k)}")
        elif name == "scanner":
            _out(f"  scanner  {c['kind']} {c['vid_pid']}, layout {c['layout']}: {c['state']}")
        elif name == "printer":
            _out(f"  printer  {c['name']}, {c['paper']} paper: {_said(c)}")
        else:
            _out(f"  drawer   pin {c['pin']}, {c['on_ms']}/{c['off_ms']} ms: {c['state']}")
    return 0


def _said(status: dict[str, Any]) -> str:
    if status["state"] == "ok":
        return "ok"
    return f"{status['state']} ({status['code']}): {status['message']}"


# -- test-print ---------------------------------------------------------------------------
def test_document(printer_name: str, paper_name: str) -> Any:
    from drivers.printer import BIG, BOLD, DocumentBuilder

    b = DocumentBuilder("receipt")
    b.text("AUTONOME", "center", BIG)
    b.text("Test d'impression", "center", BOLD)
    b.text(f"{printer_name}, papier {paper_name}", "center")
    b.text(datetime.now().astimezone().strftime("%d/%m/%Y %H:%M:%S"), "center")
    b.rule()
    b.text("Accents : à â ä ç é è ê ë î ï ô ö ù û ü ÿ")
    b.text("Majuscules : À Â Ç É È Ê Ë Î Ï Ô Ù Û Ü")
    b.text("Euro : 12,50 € - 1234,56 €")
    b.rule()
    b.columns("Pain de campagne aux céréales, 500 g", "3,90 €")
    b.columns("TOTAL TTC", "3,90 €", style=BIG)
    b.rule("=")
    b.barcode("AUTONOME-TEST", "CODE128", height=48)
    b.qr("https://autonome.example/test", size=4)
    b.text("Si ce ticket est lisible, l'imprimante est prête.", "center")
    b.cut()
    return b.build()


def _test_print(a: argparse.Namespace) -> int:
    from drivers.printer import PRINTED, ReceiptPrinter

    from .hardware import save_sim_ticket

    config = _config(a)
    if config.printer is None:
        raise CommandFailed(f"{config.source}: no [printer] configured")
    with _hardware(config) as hw:
        assert hw.link is not None
        doc = test_document(hw.link.name, config.printer.paper)
        job = f"test-{time.time_ns()}"
        result = ReceiptPrinter(hw.link, hw.paper).print(job, doc)
        _out(f"{hw.link.name}: {result.state}" + (f": {result.message}" if result.message else ""))
        status = _printer_status(hw.link)
        _out(f"status: {_said(status)}")
        png = save_sim_ticket(hw.sim.printer, _folder(a), "test-print.png")
        if png:
            _out(f"simulated printer: the ticket is in {png} (and its text beside it)")
    return 0 if result.state == PRINTED else 1


# -- open-drawer --------------------------------------------------------------------------
@contextlib.contextmanager
def _till_folder_lock(data: Path) -> Iterator[None]:
    """The till's own lock: a running till owns the devices and writes its journal."""
    path = Path(data) / ".till.lock"
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CommandFailed(
                f"a till is running on {data}: open the drawer from the till (a manager "
                "logged in), where it is journaled"
            ) from None
        yield


def _open_drawer(a: argparse.Namespace) -> int:
    from appliance.domain import EventType
    from drivers.printer import PrinterError

    from .config import NotEnrolled, TillConfig
    from .eventlog import EventLog

    config = _config(a)
    if config.drawer is None:
        raise CommandFailed(f"{config.source}: no [drawer] configured (or enabled = false)")
    reason = (a.reason or "").strip() or "opened from the shell"
    lock = _till_folder_lock(a.data) if a.data is not None else contextlib.nullcontext()
    with lock, _hardware(config) as hw:
        assert hw.drawer is not None
        try:
            hw.drawer.kick()
        except PrinterError as e:
            raise CommandFailed(f"the drawer did not open: {e.message}") from None
        time.sleep(0.2)  # a drawer takes a moment to spring open
        try:
            state = "open" if hw.drawer.is_open() else "closed (check the drawer's wiring)"
        except PrinterError as e:
            state = f"unknown ({e.message})"
        _out(f"drawer kicked on pin {config.drawer.pin}: it reads {state}")
        if a.data is None:
            _out("not journaled: no till data folder given (--data DIR)")
            return 0
        try:
            till = TillConfig.load(a.data)
        except (NotEnrolled, OSError, ValueError):
            _out(f"not journaled: {a.data} holds no enrolled till")
            return 0
        events = EventLog.open(a.data, till.till_id)
        try:
            events.record(EventType.DRAWER_OPENED, reason=reason, cashier_id=None, via="shell")
        finally:
            events.close()
        _out(f"journaled in {Path(a.data) / 'events.log'} (drawer_opened, reason: {reason})")
    return 0


# -- scan-test ----------------------------------------------------------------------------
def _scan_test(a: argparse.Namespace) -> int:
    import queue

    config = _config(a)
    if config.scanner is None:
        raise CommandFailed(f"{config.source}: no [scanner] configured")
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    codes = 0
    deadline = time.monotonic() + a.timeout if a.timeout else None
    with _hardware(config, on_scan=events.put, scanner_poll_s=0.2) as hw:
        hw.scanner.start()
        sc = config.scanner
        _out(f"reading the scanner ({sc.vid_pid or 'any known scanner'}, layout {sc.layout}); "
             "Ctrl-C to stop")  # fmt: skip
        try:
            while a.count is None or codes < a.count:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                try:
                    e = events.get(timeout=min(0.5, left) if left is not None else 0.5)
                except queue.Empty:
                    continue
                name = e["event"]
                if name == "scanner_code":
                    codes += 1
                    _out(f"code {e['code']}  ({len(e['code'])} characters)")
                elif name == "scanner_connected":
                    _out(f"connected: {e['device']}")
                    if hw.sim.scanner is not None:
                        _out(f"simulated scanner: typing {', '.join(SAMPLE_CODES)}")
                        for code in SAMPLE_CODES:
                            hw.sim.scanner.scan(code)
                else:
                    _out(f"{name}: {e.get('message', '')}")
        except KeyboardInterrupt:
            pass
    _out(f"{codes} code(s) read")
    if a.count is not None and codes < a.count:
        return 1
    return 0


# -- selftest -----------------------------------------------------------------------------
def _selftest(a: argparse.Namespace) -> int:
    from .selftest import run_selftest

    if not a.sim:
        raise CommandFailed(
            "selftest runs on simulated devices (--sim); on the real ones use test-print, "
            "open-drawer and scan-test"
        )
    report = run_selftest(_folder(a))
    if a.json:
        _out(json.dumps(report, ensure_ascii=False))
    else:
        for name in ("scanner", "printer", "drawer", "kitchen"):
            part = report[name]
            mark = "ok  " if part.get("ok") else "FAIL"
            _out(f"{mark} {name}: {part.get('checked') or part.get('error', '')}")
            if part.get("error"):
                _out(f"     {part['error']}")
        _out(f"receipt: {report['printer'].get('png', '-')}")
        _out("all checks passed" if report["ok"] else "some checks failed")
    return 0 if report["ok"] else 1


COMMANDS = {
    "list": (_list, "the USB devices seen and the configured devices with their status"),
    "test-print": (_test_print, "a test ticket (accents and €) on the receipt printer"),
    "open-drawer": (_open_drawer, "kick the cash drawer (a manager's action; journaled)"),
    "scan-test": (_scan_test, "print the codes the scanner reads"),
    "selftest": (_selftest, "check every driver on simulated devices (--sim)"),
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autonome devices", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_fn, help_) in COMMANDS.items():
        s = sub.add_parser(name, help=help_, description=help_)
        s.add_argument("--data", type=Path, help="the till's data folder (its devices.toml)")
        s.add_argument("--sim", action="store_true", help="simulated devices, in this process")
        if name in ("list", "selftest"):
            s.add_argument("--json", action="store_true", help="one JSON object on stdout")
        if name == "open-drawer":
            s.add_argument("--reason", default="", help="why (journaled)")
        if name == "scan-test":
            s.add_argument("--count", type=int, help="stop after N codes (exit 1 if fewer)")
            s.add_argument("--timeout", type=float, help="stop after S seconds")
    return p


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    fn = COMMANDS[a.command][0]
    previous = signal.getsignal(signal.SIGTERM)

    def _term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    try:
        return int(fn(a) or 0)
    except CommandFailed as e:
        print(f"autonome devices {a.command}: {e}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
