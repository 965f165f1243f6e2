"""`devices.toml`: which scanner, receipt printer, cash drawer and kitchen printers a till has.

The file lives in the till's data folder; no file means no devices (the till
still sells). Each device names its `kind`:

    [scanner]
    kind = "usb"              # usb | sim | none
    vid_pid = "05e0:1200"     # optional: else any known scanner vendor (HID class 3)
    layout = "fr"             # us | fr | be: the layout the scanner types in

    [printer]
    kind = "usb"              # usb | tcp | serial | sim | none
    vid_pid = "0416:5011"     # usb
    address = "10.0.0.40:9100"  # tcp
    path = "/dev/ttyUSB0"     # serial, with baudrate = 9600
    paper = "80mm"            # 80mm | 80mm-42 | 58mm

    [drawer]                  # on the receipt printer's kick port
    enabled = true
    pin = 2                   # 2 | 5
    on_ms = 100
    off_ms = 200
    open_is_high = true

    [[kitchen]]               # a kitchen or bar printer this till prints to itself
    id = "cuisine"            # the server's printer id (snapshot table printers)
    kind = "tcp"              # tcp | sim
    address = "10.0.0.41:9100"  # optional: else the snapshot's address
    direct = true

A mistake is a `DevicesConfigError` naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEVICES_NAME",
    "DevicesConfig",
    "DevicesConfigError",
    "DrawerSettings",
    "KitchenPrinterConfig",
    "PrinterConfig",
    "ScannerConfig",
    "load_devices",
    "parse_devices",
    "sim_devices",
]

DEVICES_NAME = "devices.toml"
LAYOUTS = ("us", "fr", "be")
PAPERS = ("80mm", "80mm-42", "58mm")
SCANNER_KINDS = ("usb", "sim", "none")
PRINTER_KINDS = ("usb", "tcp", "serial", "sim", "none")
KITCHEN_KINDS = ("tcp", "sim")


class DevicesConfigError(ValueError):
    """devices.toml cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ScannerConfig:
    kind: str = "usb"
    vid_pid: str | None = None
    layout: str = "us"


@dataclass(frozen=True)
class PrinterConfig:
    kind: str = "usb"
    vid_pid: str | None = None
    address: str | None = None
    path: str | None = None
    baudrate: int = 9600
    paper: str = "80mm"
    in_ep: int | None = None
    out_ep: int | None = None

    @property
    def host_port(self) -> tuple[str, int]:
        return split_address(self.address or "")

    @property
    def vid_pid_ints(self) -> tuple[int, int]:
        return split_vid_pid(self.vid_pid or "")


@dataclass(frozen=True)
class DrawerSettings:
    enabled: bool = True
    pin: int = 2
    on_ms: int = 100
    off_ms: int = 200
    open_is_high: bool = True


@dataclass(frozen=True)
class KitchenPrinterConfig:
    id: str
    kind: str = "tcp"
    address: str | None = None
    direct: bool = True
    paper: str = "80mm"


@dataclass(frozen=True)
class DevicesConfig:
    scanner: ScannerConfig | None = None
    printer: PrinterConfig | None = None
    drawer: DrawerSettings | None = None
    kitchen: tuple[KitchenPrinterConfig, ...] = field(default_factory=tuple)
    source: str = ""  # the file it came from ("" when built in code)

    @property
    def empty(self) -> bool:
        return not (self.scanner or self.printer or self.drawer or self.kitchen)

    @property
    def direct_kitchen(self) -> dict[str, KitchenPrinterConfig]:
        return {k.id: k for k in self.kitchen if k.direct}


def split_address(text: str) -> tuple[str, int]:
    """ "host:port" -> (host, port); ValueError with the reason."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"an address is host:port, like 10.0.0.40:9100, not {text!r}")
    return host.strip("[]"), int(port)


def split_vid_pid(text: str) -> tuple[int, int]:
    vid, sep, pid = text.partition(":")
    try:
        if not sep or len(vid) != 4 or len(pid) != 4:
            raise ValueError
        return int(vid, 16), int(pid, 16)
    except ValueError:
        raise ValueError(
            f"a USB device is named VID:PID in hex (lsusb shows it), like 0416:5011, not {text!r}"
        ) from None


class _Section:
    """One table of the file: typed reads that name the file and the key on error."""

    def __init__(self, source: str, name: str, raw: Any, known: tuple[str, ...]) -> None:
        self.source, self.name = source, name
        if not isinstance(raw, dict):
            raise self.error(None, "is a table ([name] with key = value lines)")
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise self.error(unknown[0], f"unknown key; known: {', '.join(known)}")
        self.raw = raw

    def error(self, key: str | None, why: str) -> DevicesConfigError:
        where = f"[{self.name}]" + (f" {key}" if key else "")
        return DevicesConfigError(f"{self.source}: {where}: {why}")

    def get(self, key: str, kind: type, default: Any = None) -> Any:
        value = self.raw.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            raise self.error(key, f"must be {_TYPE_NAMES[kind]}, not {value!r}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str | None) -> str:
        value = self.get(key, str, default)
        if value is None:
            raise self.error(key, f"missing: one of {', '.join(choices)}")
        if value not in choices:
            raise self.error(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def check(self, key: str, parse: Any) -> None:
        value = self.raw.get(key)
        try:
            parse(value)
        except ValueError as e:
            raise self.error(key, str(e)) from None


_TYPE_NAMES = {str: "a text", int: "a whole number", bool: "true or false"}


def _scanner(src: str, raw: Any) -> ScannerConfig | None:
    s = _Section(src, "scanner", raw, ("kind", "vid_pid", "layout"))
    kind = s.choice("kind", SCANNER_KINDS, None)
    if kind == "none":
        return None
    vid_pid = s.get("vid_pid", str)
    if vid_pid:
        s.check("vid_pid", _scanner_match)
    layout = s.choice("layout", LAYOUTS, "us")
    return ScannerConfig(kind, vid_pid or None, layout)


def _scanner_match(text: str) -> None:
    vid, _, pid = text.partition(":")
    try:
        int(vid, 16)
        if pid:
            int(pid, 16)
    except ValueError:
        raise ValueError(
            f"a scanner is named VID:PID in hex, like 05e0:1200, not {text!r}"
        ) from None


def _printer(src: str, raw: Any) -> PrinterConfig | None:
    keys = ("kind", "vid_pid", "address", "path", "baudrate", "paper", "in_ep", "out_ep")
    s = _Section(src, "printer", raw, keys)
    kind = s.choice("kind", PRINTER_KINDS, None)
    if kind == "none":
        return None
    paper = s.choice("paper", PAPERS, "80mm")
    config = PrinterConfig(
        kind=kind,
        vid_pid=s.get("vid_pid", str),
        address=s.get("address", str),
        path=s.get("path", str),
        baudrate=s.get("baudrate", int, 9600),
        paper=paper,
        in_ep=s.get("in_ep", int),
        out_ep=s.get("out_ep", int),
    )
    if kind == "usb":
        if not config.vid_pid:
            raise s.error("vid_pid", "missing: a USB printer is named VID:PID, like 0416:5011")
        s.check("vid_pid", split_vid_pid)
    elif kind == "tcp":
        if not config.address:
            raise s.error("address", "missing: a network printer's host:port, like 10.0.0.40:9100")
        s.check("address", split_address)
    elif kind == "serial":
        if not config.path:
            raise s.error("path", "missing: the serial line, like /dev/ttyUSB0")
        if config.baudrate <= 0:
            raise s.error("baudrate", "must be positive, like 9600 or 115200")
    return config


def _drawer(src: str, raw: Any) -> DrawerSettings | None:
    s = _Section(src, "drawer", raw, ("enabled", "pin", "on_ms", "off_ms", "open_is_high"))
    d = DrawerSettings(
        enabled=s.get("enabled", bool, True),
        pin=s.get("pin", int, 2),
        on_ms=s.get("on_ms", int, 100),
        off_ms=s.get("off_ms", int, 200),
        open_is_high=s.get("open_is_high", bool, True),
    )
    if d.pin not in (2, 5):
        raise s.error("pin", f"a drawer is wired to pin 2 or pin 5, not {d.pin}")
    for key in ("on_ms", "off_ms"):
        if not 2 <= getattr(d, key) <= 510:
            raise s.error(key, f"a pulse lasts 2 to 510 ms, not {getattr(d, key)}")
    return d if d.enabled else None


def _kitchen(src: str, raw: Any, i: int) -> KitchenPrinterConfig:
    s = _Section(src, f"kitchen {i + 1}", raw, ("id", "kind", "address", "direct", "paper"))
    pid = s.get("id", str)
    if not pid:
        raise s.error("id", "missing: the printer's id on the server (snapshot table printers)")
    kind = s.choice("kind", KITCHEN_KINDS, None)
    address = s.get("address", str)
    if address:
        s.check("address", split_address)
    paper = s.choice("paper", PAPERS, "80mm")
    return KitchenPrinterConfig(pid, kind, address, s.get("direct", bool, True), paper)


def parse_devices(text: str, source: str = DEVICES_NAME) -> DevicesConfig:
    """The configuration in `text` (TOML); DevicesConfigError on any mistake."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DevicesConfigError(f"{source}: not valid TOML: {e}") from None
    known = ("scanner", "printer", "drawer", "kitchen")
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise DevicesConfigError(
            f"{source}: unknown table [{unknown[0]}]; known: {', '.join(known)}"
        )
    scanner = _scanner(source, raw["scanner"]) if "scanner" in raw else None
    printer = _printer(source, raw["printer"]) if "printer" in raw else None
    drawer = _drawer(source, raw["drawer"]) if "drawer" in raw else None
    kitchen_raw = raw.get("kitchen", [])
    if not isinstance(kitchen_raw, list):
        raise DevicesConfigError(f"{source}: kitchen printers are [[kitchen]] tables")
    kitchen = tuple(_kitchen(source, k, i) for i, k in enumerate(kitchen_raw))
    ids = [k.id for k in kitchen]
    for k in kitchen:
        if ids.count(k.id) > 1:
            raise DevicesConfigError(f"{source}: [[kitchen]] id: {k.id!r} is given twice")
    if drawer is not None and printer is None:
        raise DevicesConfigError(
            f"{source}: [drawer]: the drawer opens from the receipt printer's kick port: "
            "configure a [printer] (or set enabled = false)"
        )
    return DevicesConfig(scanner, printer, drawer, kitchen, source)


def load_devices(data_dir: Path) -> DevicesConfig:
    """The data folder's devices.toml; no file is no devices."""
    path = Path(data_dir) / DEVICES_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return DevicesConfig(source=str(path))
    except (OSError, UnicodeDecodeError) as e:
        raise DevicesConfigError(f"{path}: cannot be read: {e}") from None
    return parse_devices(text, str(path))


def sim_devices(kitchen: tuple[str, ...] = ()) -> str:
    """The devices.toml of a till whose devices are all simulated (the demo, the
    screenshots, the self-test): a French scanner, an 80 mm receipt printer with its
    drawer on pin 2, and a simulated kitchen printer for each server printer id given."""
    text = (
        '[scanner]\nkind = "sim"\nlayout = "fr"\n\n'
        '[printer]\nkind = "sim"\npaper = "80mm"\n\n'
        "[drawer]\nenabled = true\npin = 2\n"
    )
    for printer_id in kitchen:
        text += f'\n[[kitchen]]\nid = "{printer_id}"\nkind = "sim"\n'
    return text
