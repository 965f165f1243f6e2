"""The cash drawer on the printer's kick port, over the real transports."""

import pytest

from drivers.drawer import CashDrawer, DrawerConfig
from drivers.printer import (
    PrinterError,
    PrinterLink,
    ReceiptPrinter,
    Timeouts,
    network_printer,
    usb_printer,
)
from drivers.sim import SimBus, SimDrawer, SimPrinter
from drivers.sim.samples import sample_receipt

FAST = Timeouts(connect_s=0.5, write_s=0.5, status_s=0.3)


def usb_link(bus):
    return PrinterLink(usb_printer(0x04B8, 0x0E15, backend=bus, timeouts=FAST))


@pytest.mark.parametrize(
    ("config", "golden"),
    [
        (DrawerConfig(), b"\x1bp\x00\x32\x64"),
        (DrawerConfig(pin=5, on_ms=60, off_ms=120), b"\x1bp\x01\x1e\x3c"),
        (DrawerConfig(pin=2, on_ms=200, off_ms=200), b"\x1bp\x00\x64\x64"),
    ],
)
def test_kick_golden_bytes(config, golden):
    assert CashDrawer(PrinterLink(network_printer("127.0.0.1", 9)), config).kick_bytes == golden


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="pin 2 or pin 5"):
        DrawerConfig(pin=3)
    with pytest.raises(ValueError, match="2 to 510 ms"):
        DrawerConfig(on_ms=1000)


@pytest.mark.parametrize("pin", [2, 5])
def test_kick_opens_the_drawer_on_its_pin_and_state_follows(pin):
    printer = SimPrinter(drawer=SimDrawer(pin=pin))
    bus = SimBus()
    bus.plug(printer.usb)
    drawer = CashDrawer(usb_link(bus), DrawerConfig(pin=pin))
    assert not drawer.is_open()
    drawer.kick()
    assert printer.drawer.is_open and drawer.is_open()
    assert printer.core.events[-1] == {"event": "pulse", "pin": pin, "on_ms": 100, "off_ms": 200}
    printer.drawer.close()  # the cashier shuts it
    assert not drawer.is_open()


def test_a_kick_on_the_wrong_pin_does_not_open_it():
    printer = SimPrinter(drawer=SimDrawer(pin=5))
    bus = SimBus()
    bus.plug(printer.usb)
    CashDrawer(usb_link(bus), DrawerConfig(pin=2)).kick()
    assert not printer.drawer.is_open and printer.drawer.pulses == [(2, 100)]


def test_a_drawer_wired_the_other_way():
    printer = SimPrinter(drawer=SimDrawer(open_is_high=False))
    tcp = printer.serve_tcp()
    try:
        link = PrinterLink(network_printer("127.0.0.1", tcp.port, timeouts=FAST))
        drawer = CashDrawer(link, DrawerConfig(open_is_high=False))
        assert not drawer.is_open()
        drawer.kick()
        assert drawer.is_open()
    finally:
        printer.close()


def test_kick_and_receipt_share_the_link_and_a_status_after_paper_out():
    printer = SimPrinter(drawer=SimDrawer())
    bus = SimBus()
    bus.plug(printer.usb)
    link = usb_link(bus)
    receipts, drawer = ReceiptPrinter(link), CashDrawer(link)
    assert receipts.print("sale-1", sample_receipt()).printed
    drawer.kick()
    assert printer.drawer.openings == 1
    assert [e["event"] for e in printer.core.events] == ["init", "cut", "pulse"]


def test_kick_with_the_printer_gone_raises():
    printer = SimPrinter(drawer=SimDrawer())
    bus = SimBus()
    bus.plug(printer.usb)
    drawer = CashDrawer(usb_link(bus))
    bus.unplug(printer.usb)
    with pytest.raises(PrinterError) as info:
        drawer.kick()
    assert info.value.code == "printer_unreachable"
    with pytest.raises(PrinterError):
        drawer.is_open()
    bus.plug(printer.usb)
    drawer.kick()
    assert printer.drawer.is_open
