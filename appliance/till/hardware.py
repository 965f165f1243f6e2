"""The till's devices built from devices.toml: scanner reader, receipt printer and
its drawer, kitchen printers. `kind = "sim"` builds the simulated device in
this process (drivers.sim) under the same pyusb and python-escpos code.

Nothing is opened or started here: the printers connect at their first job,
the scanner reader starts when its owner calls `start()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.drawer import CashDrawer, DrawerConfig
from drivers.printer import (
    PAPERS,
    Paper,
    PrinterLink,
    ReceiptPrinter,
    Timeouts,
    network_printer,
    serial_printer,
    usb_printer,
)

from .devconfig import DevicesConfig, KitchenPrinterConfig, split_address

__all__ = ["Hardware", "KitchenPrinter", "SimKit", "build_hardware", "save_sim_ticket"]

log = logging.getLogger(__name__)


@dataclass
class SimKit:
    """The simulated devices behind `kind = "sim"` (None where the device is real)."""

    bus: Any = None  # drivers.sim.SimBus
    scanner: Any = None  # drivers.sim.SimScanner
    printer: Any = None  # drivers.sim.SimPrinter (the receipt printer, its drawer on it)
    kitchen: dict[str, Any] = field(default_factory=dict)  # id -> SimPrinter on TCP

    def close(self) -> None:
        for p in [self.printer, *self.kitchen.values()]:
            if p is not None:
                p.close()


@dataclass
class KitchenPrinter:
    config: KitchenPrinterConfig
    address: str
    printer: ReceiptPrinter
    paper: Paper


@dataclass
class Hardware:
    config: DevicesConfig
    scanner: Any = None  # drivers.scanner.ScannerReader, not started
    link: PrinterLink | None = None
    printer: ReceiptPrinter | None = None
    drawer: CashDrawer | None = None
    paper: Paper = PAPERS["80mm"]
    kitchen: dict[str, KitchenPrinter] = field(default_factory=dict)
    sim: SimKit = field(default_factory=SimKit)

    @property
    def printer_name(self) -> str:
        return self.link.name if self.link is not None else ""

    def close(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()
        for link in [self.link, *(k.printer.link for k in self.kitchen.values())]:
            if link is not None:
                link.close()
        self.sim.close()


def _sim_bus(sim: SimKit) -> Any:
    if sim.bus is None:
        from drivers.sim import SimBus

        sim.bus = SimBus()
    return sim.bus


def build_hardware(
    config: DevicesConfig,
    on_scanner_event: Callable[[dict[str, Any]], None] | None = None,
    *,
    backend: Any = None,
    timeouts: Timeouts | None = None,
    snapshot_printers: list[dict[str, Any]] | None = None,
    scanner_poll_s: float = 0.5,
) -> Hardware:
    """Build every configured device. `backend`: a pyusb backend for the real USB
    devices (None: libusb). `snapshot_printers`: the snapshot's printers table, for a
    kitchen printer whose address devices.toml leaves out."""
    t = timeouts or Timeouts()
    hw = Hardware(config)
    sim = hw.sim
    sc = config.scanner
    bus = backend
    if sc is not None and sc.kind == "sim":
        from drivers.sim import SimScanner

        bus = _sim_bus(sim)
        sim.scanner = bus.plug(SimScanner(keyboard_layout=sc.layout))
    if sc is not None and on_scanner_event is not None:
        from drivers.scanner import ScannerMatch, ScannerReader

        hw.scanner = ScannerReader(
            on_scanner_event,
            keyboard_layout=sc.layout,
            match=ScannerMatch.parse(sc.vid_pid),
            backend=bus,
            poll_s=scanner_poll_s,
        )
    pc = config.printer
    if pc is not None:
        hw.paper = PAPERS[pc.paper]
        if pc.kind == "sim":
            from drivers.sim import SimDrawer, SimPrinter

            d = config.drawer
            drawer = SimDrawer(d.pin, open_is_high=d.open_is_high) if d else SimDrawer()
            sim.printer = SimPrinter(hw.paper.columns, hw.paper.dots, drawer=drawer)
            bus = _sim_bus(sim)
            bus.plug(sim.printer.usb)
            transport = usb_printer(0x04B8, 0x0E15, backend=bus, timeouts=t)
        elif pc.kind == "usb":
            vid, pid = pc.vid_pid_ints
            kw: dict[str, Any] = {"timeouts": t}
            if backend is not None:
                kw["backend"] = backend
            if pc.in_ep is not None:
                kw["in_ep"] = pc.in_ep
            if pc.out_ep is not None:
                kw["out_ep"] = pc.out_ep
            transport = usb_printer(vid, pid, **kw)
        elif pc.kind == "tcp":
            host, port = pc.host_port
            transport = network_printer(host, port, timeouts=t)
        else:
            transport = serial_printer(pc.path or "", pc.baudrate, timeouts=t)
        hw.link = PrinterLink(transport, t)
        hw.printer = ReceiptPrinter(hw.link, hw.paper)
        if config.drawer is not None:
            d = config.drawer
            hw.drawer = CashDrawer(hw.link, DrawerConfig(d.pin, d.on_ms, d.off_ms, d.open_is_high))
    known = {str(p.get("printer_id")): p for p in snapshot_printers or []}
    for kc in config.kitchen:
        if not kc.direct:
            continue
        paper = PAPERS[kc.paper]
        if kc.kind == "sim":
            from drivers.sim import SimPrinter

            sp = sim.kitchen[kc.id] = SimPrinter(paper.columns, paper.dots)
            address = sp.serve_tcp().address
        else:
            address = kc.address or str((known.get(kc.id) or {}).get("address") or "")
            if not address:
                log.warning(
                    "%s: [[kitchen]] %s has no address, and the snapshot names none: not used",
                    config.source,
                    kc.id,
                )
                continue
        try:
            host, port = split_address(address)
        except ValueError as e:
            log.warning("kitchen printer %s: %s: not used", kc.id, e)
            continue
        link = PrinterLink(network_printer(host, port, timeouts=t), t)
        hw.kitchen[kc.id] = KitchenPrinter(kc, address, ReceiptPrinter(link, paper), paper)
    return hw


def save_sim_ticket(printer: Any, folder: Path, name: str) -> str | None:
    """A simulated printer's last ticket as `folder/name` (a PNG) and its text beside
    it (`.txt`); None when it printed nothing."""
    if printer is None:
        return None
    from drivers.sim.paper import paper_png, paper_text

    pieces = printer.core.receipts()
    if not pieces:
        return None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    for target, data in (
        (path, paper_png(pieces[-1], printer.core.dots)),
        (path.with_suffix(".txt"), paper_text(pieces[-1], printer.core.columns).encode()),
    ):
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return str(path)
