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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from appliance.protocol.configfile import ConfigError, first_error, reason

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
SCANNER_KINDS = ("usb", "sim", "none")
PRINTER_KINDS = ("usb", "tcp", "serial", "sim", "none")
KITCHEN_KINDS = ("tcp", "sim")


class DevicesConfigError(ConfigError):
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


class _Table(BaseModel):
    """One table of the file: its keys and nothing else, TOML's own types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Paper = Literal["80mm", "80mm-42", "58mm"]


def _checked(parse: Any, *, required: bool = False) -> Any:
    """A validator that runs `parse` (which raises ValueError with the reason) on a
    value given; on an empty one too when the key is `required`."""

    def check(value: Any) -> Any:
        if value or required:
            parse(value)
        return value

    return check


class _ScannerTable(_Table):
    kind: Literal["usb", "sim", "none"]
    vid_pid: str | None = None
    layout: Literal["us", "fr", "be"] = "us"

    _vid_pid = field_validator("vid_pid")(_checked(_scanner_match))

    def config(self) -> ScannerConfig | None:
        if self.kind == "none":
            return None
        return ScannerConfig(self.kind, self.vid_pid or None, self.layout)


class _PrinterTable(_Table):
    """The keys any printer may have; each kind below says which it needs."""

    vid_pid: str | None = None
    address: str | None = None
    path: str | None = None
    baudrate: int = 9600
    paper: Paper = "80mm"
    in_ep: int | None = None
    out_ep: int | None = None

    def config(self) -> PrinterConfig | None:
        kind = self.model_dump()["kind"]  # each kind's own Literal
        if kind == "none":
            return None
        return PrinterConfig(**self.model_dump())


class _UsbPrinter(_PrinterTable):
    kind: Literal["usb"]
    vid_pid: str = Field(description="a USB printer is named VID:PID, like 0416:5011")

    _vid_pid = field_validator("vid_pid")(_checked(split_vid_pid, required=True))


class _TcpPrinter(_PrinterTable):
    kind: Literal["tcp"]
    address: str = Field(description="a network printer's host:port, like 10.0.0.40:9100")

    _address = field_validator("address")(_checked(split_address, required=True))


class _SerialPrinter(_PrinterTable):
    kind: Literal["serial"]
    path: str = Field(description="the serial line, like /dev/ttyUSB0")

    @field_validator("path")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value:
            raise ValueError("missing: the serial line, like /dev/ttyUSB0")
        return value

    @field_validator("baudrate")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive, like 9600 or 115200")
        return value


class _SimPrinter(_PrinterTable):
    kind: Literal["sim"]


class _NoPrinter(_PrinterTable):
    kind: Literal["none"]


_Printer = Annotated[
    _UsbPrinter | _TcpPrinter | _SerialPrinter | _SimPrinter | _NoPrinter,
    Field(discriminator="kind"),
]


class _DrawerTable(_Table):
    enabled: bool = True
    pin: int = 2
    on_ms: int = 100
    off_ms: int = 200
    open_is_high: bool = True

    @field_validator("pin")
    @classmethod
    def _pin(cls, value: int) -> int:
        if value not in (2, 5):
            raise ValueError(f"a drawer is wired to pin 2 or pin 5, not {value}")
        return value

    @field_validator("on_ms", "off_ms")
    @classmethod
    def _pulse(cls, value: int) -> int:
        if not 2 <= value <= 510:
            raise ValueError(f"a pulse lasts 2 to 510 ms, not {value}")
        return value

    def config(self) -> DrawerSettings | None:
        return DrawerSettings(**self.model_dump()) if self.enabled else None


class _KitchenTable(_Table):
    id: str = Field(description="the printer's id on the server (snapshot table printers)")
    kind: Literal["tcp", "sim"]
    address: str | None = None
    direct: bool = True
    paper: Paper = "80mm"

    _address = field_validator("address")(_checked(split_address))

    @field_validator("id")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value:
            raise ValueError("missing: the printer's id on the server (snapshot table printers)")
        return value

    def config(self) -> KitchenPrinterConfig:
        return KitchenPrinterConfig(**self.model_dump())


class _DevicesFile(_Table):
    scanner: _ScannerTable | None = None
    printer: _Printer | None = None
    drawer: _DrawerTable | None = None
    kitchen: list[_KitchenTable] = []

    @model_validator(mode="after")
    def _whole(self) -> _DevicesFile:
        ids = [k.id for k in self.kitchen]
        for k in self.kitchen:
            if ids.count(k.id) > 1:
                raise ValueError(f"[[kitchen]] id: {k.id!r} is given twice")
        if self.drawer is not None and self.drawer.enabled and self.printer is None:
            raise ValueError(
                "[drawer]: the drawer opens from the receipt printer's kick port: "
                "configure a [printer] (or set enabled = false)"
            )
        return self


_TABLES: dict[str, type[_Table]] = {
    "scanner": _ScannerTable,
    "printer": _PrinterTable,
    "drawer": _DrawerTable,
    "kitchen": _KitchenTable,
}
_PRINTERS = (_UsbPrinter, _TcpPrinter, _SerialPrinter)
_KINDS = {"scanner": SCANNER_KINDS, "printer": PRINTER_KINDS, "kitchen": KITCHEN_KINDS}


def _known(table: str) -> list[str]:
    names = list(_TABLES[table].model_fields)
    return ["kind", *names] if table == "printer" else names


def _hint(table: str, key: str) -> str | None:
    """What a missing key is, from its model's description."""
    for model in (_TABLES[table], *(_PRINTERS if table == "printer" else ())):
        found = model.model_fields.get(key)
        if found is not None and found.description:
            return found.description
    return None


def _mistake(source: str, e: ValidationError) -> DevicesConfigError:
    """The first mistake of the file, named by its table and key."""
    loc, error = first_error(e)
    if not loc:  # the file as a whole
        return DevicesConfigError(source, "", reason(error))
    table, rest = str(loc[0]), list(loc[1:])
    if table not in _TABLES:
        known = ", ".join(_TABLES)
        return DevicesConfigError(source, "", f"unknown table [{table}]; known: {known}")
    where = f"[{table}]"
    if table == "kitchen":
        if not rest:
            return DevicesConfigError(source, "", "kitchen printers are [[kitchen]] tables")
        where, rest = f"[kitchen {int(rest[0]) + 1}]", rest[1:]
    if table == "printer" and rest and rest[0] in PRINTER_KINDS:
        rest = rest[1:]  # the kind the union chose
    why = reason(error, table="a table ([name] with key = value lines)")
    key = str(rest[0]) if rest else ""
    if error["type"] in ("union_tag_invalid", "union_tag_not_found") or key == "kind":
        key, kinds = "kind", ", ".join(_KINDS[table])
        if why == "missing":
            why = f"missing: one of {kinds}"
        elif error["type"] in ("union_tag_invalid", "literal_error"):
            tag = (error.get("ctx") or {}).get("tag", error.get("input"))
            why = f"{tag!r} is not one of {kinds}"
    elif why == "missing":
        hint = _hint(table, key)
        why = f"missing: {hint}" if hint else why
    elif why == "unknown key":
        why = f"unknown key; known: {', '.join(_known(table))}"
    return DevicesConfigError(source, f"{where} {key}" if key else where, why)


def parse_devices(text: str, source: str = DEVICES_NAME) -> DevicesConfig:
    """The configuration in `text` (TOML); DevicesConfigError on any mistake."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DevicesConfigError(source, "", f"not valid TOML: {e}") from None
    try:
        file = _DevicesFile.model_validate(raw)
    except ValidationError as e:
        raise _mistake(source, e) from None
    return DevicesConfig(
        scanner=file.scanner.config() if file.scanner else None,
        printer=file.printer.config() if file.printer else None,
        drawer=file.drawer.config() if file.drawer else None,
        kitchen=tuple(k.config() for k in file.kitchen),
        source=source,
    )


def load_devices(data_dir: Path) -> DevicesConfig:
    """The data folder's devices.toml; no file is no devices."""
    path = Path(data_dir) / DEVICES_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return DevicesConfig(source=str(path))
    except (OSError, UnicodeDecodeError) as e:
        raise DevicesConfigError(str(path), "", f"cannot be read: {e}") from None
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
