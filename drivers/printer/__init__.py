"""Receipt and ticket printers: documents rendered to ESC/POS through
python-escpos, sent over USB, TCP 9100 or a serial line with every wait
bounded, the printer's status read before and after each print."""

from .document import (
    BIG,
    BOLD,
    PLAIN,
    Barcode,
    Columns,
    Cut,
    Document,
    DocumentBuilder,
    Feed,
    Logo,
    QrCode,
    Rule,
    Style,
    Text,
)
from .jobs import NOT_PRINTED, PRINTED, UNCERTAIN, PrintResult, ReceiptPrinter
from .link import PrinterLink
from .render import CODE_PAGE, PAPER_58MM, PAPER_80MM, PAPERS, Paper, drawer_kick, render
from .status import MESSAGES, PrinterStatus
from .transports import PrinterError, Timeouts, network_printer, serial_printer, usb_printer

__all__ = [
    "BIG",
    "BOLD",
    "CODE_PAGE",
    "MESSAGES",
    "NOT_PRINTED",
    "PAPERS",
    "PAPER_58MM",
    "PAPER_80MM",
    "PLAIN",
    "PRINTED",
    "UNCERTAIN",
    "Barcode",
    "Columns",
    "Cut",
    "Document",
    "DocumentBuilder",
    "Feed",
    "Logo",
    "Paper",
    "PrintResult",
    "PrinterError",
    "PrinterLink",
    "PrinterStatus",
    "QrCode",
    "ReceiptPrinter",
    "Rule",
    "Style",
    "Text",
    "Timeouts",
    "drawer_kick",
    "network_printer",
    "render",
    "serial_printer",
    "usb_printer",
]
