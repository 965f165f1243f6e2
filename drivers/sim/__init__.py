"""Simulated devices under the real pyusb and python-escpos: a USB bus (a
pyusb backend), a keyboard-wedge scanner, an ESC/POS printer reachable over
USB, TCP 9100 and a serial line, and the cash drawer on its kick port."""

from .drawer import SimDrawer
from .escpos import PrinterCore
from .printer import SerialPrinter, SimPrinter, SimUsbPrinter, TcpPrinter
from .scanner import SimScanner, reports_for
from .usb import SimBus, SimDevice

__all__ = [
    "PrinterCore",
    "SerialPrinter",
    "SimBus",
    "SimDevice",
    "SimDrawer",
    "SimPrinter",
    "SimScanner",
    "SimUsbPrinter",
    "TcpPrinter",
    "reports_for",
]
