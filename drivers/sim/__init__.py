"""Simulated devices under the real pyusb and python-escpos: a USB bus (a
pyusb backend), a keyboard-wedge scanner, an ESC/POS printer reachable over
USB, TCP 9100 and a serial line, and the cash drawer on its kick port."""

from .scanner import SimScanner, reports_for
from .usb import SimBus, SimDevice

__all__ = ["SimBus", "SimDevice", "SimScanner", "reports_for"]
