"""Printing over USB, TCP 9100 and serial, python-escpos and pyusb above the
simulated printer, with every fault the till must survive."""

import socket
import time

import pytest

from drivers.printer import (
    NOT_PRINTED,
    PRINTED,
    UNCERTAIN,
    DocumentBuilder,
    PrinterError,
    PrinterLink,
    ReceiptPrinter,
    Timeouts,
    network_printer,
    render,
    serial_printer,
    usb_printer,
)
from drivers.sim import SimBus, SimDrawer, SimPrinter
from drivers.sim.samples import sample_receipt
from drivers.udev import RULES_FILE

FAST = Timeouts(connect_s=0.5, write_s=0.5, status_s=0.3)
DOC = sample_receipt()
SHORT = DocumentBuilder().text("Ticket 2-000119  1,10 €").cut().build()


@pytest.fixture
def printer():
    p = SimPrinter(drawer=SimDrawer())
    yield p
    p.close()


@pytest.fixture
def bus(printer):
    b = SimBus()
    b.plug(printer.usb)
    return b


def usb_receipts(bus, timeouts=FAST):
    return ReceiptPrinter(PrinterLink(usb_printer(0x04B8, 0x0E15, backend=bus, timeouts=timeouts)))


def tcp_receipts(printer, timeouts=FAST):
    tcp = printer.tcp or printer.serve_tcp()
    return ReceiptPrinter(PrinterLink(network_printer("127.0.0.1", tcp.port, timeouts=timeouts)))


def receipts(printer):
    return printer.receipts_text()


# -- the happy path on each wire ------------------------------------------------------------
def test_usb_print_is_exact_and_never_resets_the_printer(printer, bus):
    result = usb_receipts(bus).print("sale-1", DOC)
    assert result.state == PRINTED and result.message == ""
    assert printer.core.received > 5000 and printer.core.unknown == []
    assert "TOTAL TTC" in receipts(printer)[0]
    assert printer.usb.resets == 0  # python-escpos's open() would have reset it
    assert printer.usb.kernel_drivers == set()  # usblp detached


def test_usb_partial_writes_are_completed(printer, bus):
    printer.usb.max_write = 7  # the device takes 7 bytes a transfer
    assert usb_receipts(bus).print("sale-1", DOC).printed
    whole = SimPrinter()
    whole.core.feed(render(DOC))
    assert printer.core.paper == whole.core.paper


def test_tcp_and_serial_print_the_same_receipt(printer):
    assert tcp_receipts(printer).print("sale-1", DOC).printed
    tty = printer.serve_serial()
    serial_rp = ReceiptPrinter(PrinterLink(serial_printer(tty.path, timeouts=FAST)))
    assert serial_rp.print("sale-2", DOC).printed
    first, second = receipts(printer)
    assert first == second and "Merci de votre visite, à bientôt !" in first


# -- status before the print ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("condition", "problem", "words"),
    [
        ("cover_open", "cover_open", "cover is open"),
        ("paper_out", "paper_out", "out of paper"),
        ("offline", "printer_offline", "offline"),
    ],
)
def test_a_printer_that_cannot_print_gets_nothing_and_the_job_waits(
    printer, bus, condition, problem, words
):
    rp = usb_receipts(bus)
    setattr(printer.core, condition, True)
    result = rp.print("sale-1", DOC)
    assert result.state == NOT_PRINTED and problem in result.problems
    assert words in result.message
    assert printer.core.received == 9  # three DLE EOT queries, no job
    assert rp.pending() == ["sale-1"]
    setattr(printer.core, condition, False)
    assert rp.retry("sale-1").printed
    assert rp.pending() == [] and len(receipts(printer)) == 1


def test_paper_near_end_prints_with_a_warning(printer, bus):
    printer.core.paper_near_end = True
    result = usb_receipts(bus).print("sale-1", DOC)
    assert result.printed and result.problems == ("paper_near_end",)
    assert "running low" in result.message


def test_paper_running_out_during_the_print_is_uncertain(printer, bus):
    rp = usb_receipts(bus)
    printer.usb.stall_after = 3000  # part of the job goes through, then...
    result = rp.print("sale-1", DOC)
    assert result.state == UNCERTAIN and "incomplete" in result.message


# -- never twice, never lost --------------------------------------------------------------------
def test_the_same_job_is_never_printed_twice(printer, bus):
    rp = usb_receipts(bus)
    assert rp.print("sale-1", DOC).printed
    again = rp.print("sale-1", DOC)
    assert again.printed and again.repeated
    assert rp.retry("sale-1").repeated
    assert len(receipts(printer)) == 1


def test_an_interrupted_job_is_not_sent_again_but_can_be_reprinted(printer, bus):
    rp = usb_receipts(bus)
    printer.usb.stall_after = 2000  # stalls in the middle of the receipt
    t0 = time.monotonic()
    result = rp.print("sale-1", DOC)
    assert time.monotonic() - t0 < 2.0  # bounded: no USB write without a timeout
    assert result.state == UNCERTAIN and "printer_not_answering" in result.problems
    printer.usb.stalled = False
    assert rp.print("sale-1", DOC).repeated  # not sent again by itself
    assert rp.retry("sale-1").state == UNCERTAIN
    copy = rp.reprint_last()
    assert copy.printed and copy.job_id == "sale-1/copy-1"
    assert "DUPLICATA" in receipts(printer)[-1]


def test_reprint_last_marks_the_copy(printer, bus):
    rp = usb_receipts(bus)
    assert rp.reprint_last().problems == ("nothing_printed_yet",)
    rp.print("sale-1", DOC)
    rp.print("sale-2", SHORT)
    assert rp.reprint_last().printed
    assert rp.reprint_last().job_id == "sale-2/copy-2"
    texts = receipts(printer)
    assert len(texts) == 4
    assert "DUPLICATA" not in texts[1] and "DUPLICATA" in texts[2] and "2-000119" in texts[2]


# -- USB faults ------------------------------------------------------------------------------
def test_usb_unplugged_then_back_after_a_power_cycle(printer, bus):
    rp = usb_receipts(bus)
    assert rp.print("sale-1", SHORT).printed
    old_address = printer.usb.address
    bus.unplug(printer.usb)
    result = rp.print("sale-2", SHORT)
    assert result.state == NOT_PRINTED and result.problems == ("printer_unreachable",)
    assert "cannot be reached" in result.message
    bus.plug(printer.usb)  # re-enumerated, new address, fresh printer
    assert printer.usb.address != old_address
    assert rp.retry("sale-2").printed
    bus.power_cycle(printer.usb)  # with the link open: the next print finds it again
    assert rp.print("sale-3", SHORT).printed
    assert len(receipts(printer)) == 3


@pytest.mark.parametrize(("fault", "word"), [("deny_access", "no permission"), ("busy", "busy")])
def test_usb_permission_or_busy_names_the_udev_rule(printer, bus, fault, word):
    setattr(printer.usb, fault, True)
    result = usb_receipts(bus).print("sale-1", SHORT)
    assert result.state == NOT_PRINTED
    link_error = result.problems == ("printer_unreachable",)
    assert link_error
    with pytest.raises(Exception) as info:
        PrinterLink(usb_printer(0x04B8, 0x0E15, backend=bus, timeouts=FAST)).status()
    assert word in str(info.value) and RULES_FILE in str(info.value)


def test_usb_stalled_printer_is_bounded(printer, bus):
    printer.usb.stalled = True  # every transfer times out (110)
    t0 = time.monotonic()
    result = usb_receipts(bus).print("sale-1", DOC)
    assert time.monotonic() - t0 < 2.0
    assert result.state == NOT_PRINTED and result.problems == ("printer_not_answering",)


# -- TCP faults ------------------------------------------------------------------------------
def test_tcp_connection_refused(printer):
    rp = tcp_receipts(printer)
    printer.tcp.refuse()
    t0 = time.monotonic()
    result = rp.print("sale-1", SHORT)
    assert time.monotonic() - t0 < 1.0
    assert result.state == NOT_PRINTED and result.problems == ("printer_unreachable",)
    printer.tcp.listen()
    assert rp.retry("sale-1").printed


def test_tcp_stalled_connection_is_bounded_not_60_s(printer):
    rp = tcp_receipts(printer)
    printer.tcp.stall()
    t0 = time.monotonic()
    result = rp.print("sale-1", DOC)
    assert time.monotonic() - t0 < 2.0
    assert result.state == NOT_PRINTED and result.problems == ("printer_not_answering",)
    printer.tcp.stall(False)
    assert rp.retry("sale-1").printed


def test_tcp_stall_during_the_job_is_uncertain_and_bounded(printer):
    big = DocumentBuilder()
    for i in range(4000):
        big.text(f"ligne {i:05d} " + "x" * 30)
    doc = big.cut().build()
    rp = tcp_receipts(printer)
    assert rp.status().can_print
    printer.tcp.stall()  # after the status check: the job fills the buffers and stops
    t0 = time.monotonic()
    result = rp.print("big", doc)
    assert time.monotonic() - t0 < 3.0
    assert result.state in (UNCERTAIN, NOT_PRINTED)
    assert "printer_not_answering" in result.problems


def test_tcp_reset_in_the_middle_of_a_job(printer):
    rp = tcp_receipts(printer)
    assert rp.print("sale-1", SHORT).printed
    printer.tcp.reset_after(1500)
    result = rp.print("sale-2", DOC)
    assert result.state == UNCERTAIN and "maybe_incomplete" in result.problems
    assert rp.print("sale-2", DOC).repeated  # never sent again by itself
    assert rp.print("sale-3", SHORT).printed  # the link reconnects
    assert printer.tcp.connections >= 2


def test_tcp_printer_power_cycle_reconnects(printer):
    rp = tcp_receipts(printer)
    assert rp.print("sale-1", SHORT).printed
    printer.tcp.power_cycle()  # the open connection is reset
    assert rp.print("sale-2", SHORT).printed
    assert len(receipts(printer)) == 2


def test_tcp_port_with_nothing_listening():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rp = ReceiptPrinter(PrinterLink(network_printer("127.0.0.1", port, timeouts=FAST)))
    assert rp.print("sale-1", SHORT).problems == ("printer_unreachable",)


# -- serial faults ---------------------------------------------------------------------------
def test_serial_line_stuck_is_bounded(printer):
    tty = printer.serve_serial()
    rp = ReceiptPrinter(PrinterLink(serial_printer(tty.path, timeouts=FAST)))
    assert rp.status().can_print
    tty.stalled = True
    t0 = time.monotonic()
    result = rp.print("sale-1", DOC)
    assert time.monotonic() - t0 < 3.0
    assert result.state in (NOT_PRINTED, UNCERTAIN)
    assert "printer_not_answering" in result.problems


def test_serial_port_missing():
    rp = ReceiptPrinter(PrinterLink(serial_printer("/dev/nonexistent-tty", timeouts=FAST)))
    assert rp.print("sale-1", SHORT).problems == ("printer_unreachable",)


# -- why python-escpos's own transports are wrapped -----------------------------------------------
def test_plain_python_escpos_resets_at_open_and_calls_silence_paper_ok(printer):
    from drivers.printer import escpos_lib

    escpos_printer = escpos_lib.load()
    printer.usb.kernel_driver_on_plug = False  # its open() detaches usblp only with libusb1
    bus = SimBus()
    bus.plug(printer.usb)
    plain_usb = escpos_printer.Usb(0x04B8, 0x0E15, usb_args={"backend": bus})
    plain_usb.open()
    assert printer.usb.resets == 1  # a reset at every open
    plain_usb.close()

    tty = printer.serve_serial()
    tty.stalled = True  # a printer that answers nothing
    plain_serial = escpos_printer.Serial(tty.path, timeout=0.2)
    plain_serial.open()
    assert plain_serial.paper_status() == 2  # "paper adequate", from silence
    plain_serial.close()
    ours = PrinterLink(serial_printer(tty.path, timeouts=FAST))
    with pytest.raises(PrinterError) as info:
        ours.status()
    assert info.value.code == "printer_not_answering"
