"""USB keyboard-wedge barcode scanners: HID boot reports decoded in the
scanner's layout (US, FR, BE), read with pyusb, found again after an unplug."""

from drivers.udev import RULES_FILE as UDEV_RULES
from drivers.udev import rules_path as udev_rules_path

from .decoder import ReportDecoder, decode
from .device import KNOWN_VENDORS, OpenScanner, ScannerError, ScannerMatch, find_scanner
from .keymaps import LAYOUTS, Layout, layout
from .reader import ScannerReader

__all__ = [
    "KNOWN_VENDORS",
    "LAYOUTS",
    "UDEV_RULES",
    "Layout",
    "OpenScanner",
    "ReportDecoder",
    "ScannerError",
    "ScannerMatch",
    "ScannerReader",
    "decode",
    "find_scanner",
    "layout",
    "udev_rules_path",
]
