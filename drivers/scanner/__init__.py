"""USB keyboard-wedge barcode scanners: HID boot reports decoded in the
scanner's layout (US, FR, BE), read with pyusb, found again after an unplug."""

from .decoder import ReportDecoder, decode
from .device import (
    KNOWN_VENDORS,
    UDEV_RULES,
    OpenScanner,
    ScannerError,
    ScannerMatch,
    find_scanner,
    udev_rules_path,
)
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
