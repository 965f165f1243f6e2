"""The scanner read with the real pyusb over the simulated USB bus."""

import queue
import time

import pytest
import usb.core

from drivers.scanner import UDEV_RULES, ScannerMatch, ScannerReader, find_scanner, udev_rules_path
from drivers.sim import SimBus, SimScanner
from drivers.sim.usb import Endpoint, Interface, SimDevice


class Keyboard(SimDevice):
    """The till's own keyboard: HID too, but not a scanner's vendor."""

    interfaces = (Interface(0, 3, 1, 1, (Endpoint(0x81, "interrupt", 8),)),)


class Events:
    def __init__(self):
        self.q = queue.Queue()

    def __call__(self, event):
        self.q.put(event)

    def wait(self, name, timeout=3.0):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {name} event within {timeout} s")
            try:
                e = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if e["event"] == name:
                return e

    def drain(self):
        out = []
        while not self.q.empty():
            out.append(self.q.get())
        return out


@pytest.fixture
def bus():
    return SimBus()


@pytest.fixture
def reader_for(bus):
    started = []

    def make(**kw):
        events = Events()
        kw.setdefault("poll_s", 0.1)
        reader = ScannerReader(events, backend=bus, **kw)
        reader.start()
        started.append(reader)
        return reader, events

    yield make
    for r in started:
        r.stop()


def test_found_by_vid_pid_or_as_a_known_scanner_never_the_keyboard(bus):
    bus.plug(Keyboard(0x046D, 0xC31C, product="keyboard", manufacturer="Logitech"))
    assert find_scanner(ScannerMatch(), bus) is None
    assert find_scanner(ScannerMatch.parse("046d:c31c"), bus) is not None  # configured: taken
    scanner = bus.plug(SimScanner(0x0C2E, 0x0B61))
    found = find_scanner(ScannerMatch(), bus)
    assert (found.idVendor, found.idProduct) == (0x0C2E, 0x0B61)
    assert find_scanner(ScannerMatch.parse("0c2e"), bus) is not None
    assert find_scanner(ScannerMatch.parse("0c2e:0001"), bus) is None
    assert scanner.plugged


def test_a_known_vendor_without_a_hid_interface_is_not_a_scanner(bus):
    class Other(SimDevice):
        interfaces = (Interface(0, 0xFF, 0, 0, (Endpoint(0x81, "bulk"),)),)

    bus.plug(Other(0x05E0, 0x9999, product="cradle", manufacturer="Zebra"))
    assert find_scanner(ScannerMatch(), bus) is None


def test_bad_vid_pid_is_refused_clearly():
    with pytest.raises(ValueError, match="05e0:1200"):
        ScannerMatch.parse("scanner")


def test_codes_read_from_the_interrupt_endpoint(bus, reader_for):
    scanner = bus.plug(SimScanner(keyboard_layout="fr", report_interval_s=0.001))
    reader, events = reader_for(keyboard_layout="fr")
    connected = events.wait("scanner_connected")
    assert "05e0:1200" in connected["device"]
    scanner.scan("3760000000011")
    scanner.scan("0013748911", suffix="\t", style="shift_apart")
    assert events.wait("scanner_code")["code"] == "3760000000011"
    assert events.wait("scanner_code")["code"] == "0013748911"
    # the keyboard driver was detached, the interface claimed, boot protocol asked
    assert scanner.kernel_drivers == set()
    assert 0 in scanner.claimed
    assert (0x21, 0x0B, 0, 0) in scanner.control_requests
    reader.stop()
    assert scanner.kernel_drivers == {0}  # given back to the kernel
    assert scanner.claimed == {}


def test_unplugged_then_found_again_within_two_seconds(bus, reader_for):
    scanner = bus.plug(SimScanner(keyboard_layout="be"))
    _reader, events = reader_for(keyboard_layout="be", poll_s=0.5)
    first = events.wait("scanner_connected")
    scanner.scan("12", suffix="")  # half a code when the cable goes
    time.sleep(0.05)
    bus.unplug(scanner)
    gone = events.wait("scanner_disconnected")
    assert gone["message"].startswith("scanner disconnected")
    time.sleep(0.3)
    t0 = time.monotonic()
    bus.plug(scanner)
    again = events.wait("scanner_connected", timeout=2.0)
    assert time.monotonic() - t0 < 2.0
    assert again["device"] != first["device"]  # re-enumerated: a new address
    scanner.scan("5410000000001")
    assert events.wait("scanner_code")["code"] == "5410000000001"  # the half code is gone


@pytest.mark.parametrize(
    ("fault", "error", "errno"),
    [("deny_access", "scanner_permission", 13), ("busy", "scanner_busy", 16)],
)
def test_permission_or_busy_names_the_udev_rule(bus, reader_for, fault, error, errno):
    scanner = SimScanner(keyboard_layout="us")
    setattr(scanner, fault, True)
    bus.plug(scanner)
    _reader, events = reader_for()
    e = events.wait("scanner_error")
    assert (e["error"], e["errno"]) == (error, errno)
    assert UDEV_RULES in e["message"] and "/etc/udev/rules.d" in e["message"]
    assert e["udev_rules"] == str(udev_rules_path())
    time.sleep(0.35)  # several polls: the same error is said once
    assert [x for x in events.drain() if x["event"] == "scanner_error"] == []
    setattr(scanner, fault, False)  # the rule installed
    events.wait("scanner_connected")
    scanner.scan("42")
    assert events.wait("scanner_code")["code"] == "42"


def test_the_udev_rules_file_is_shipped_and_lists_the_scanner_vendors():
    text = udev_rules_path().read_text()
    for vid in ("05e0", "0c2e", "0536", "05f9", "1eab", "065a", "04b8"):
        assert f'ATTR{{idVendor}}=="{vid}"' in text
    assert 'GROUP="plugdev"' in text


def test_reads_that_time_out_are_quiet(bus, reader_for):
    scanner = bus.plug(SimScanner(keyboard_layout="us"))
    scanner.stalled = True  # every transfer times out (110)
    _reader, events = reader_for(read_timeout_ms=20)
    events.wait("scanner_connected")
    time.sleep(0.2)
    assert events.drain() == []
    scanner.stalled = False
    scanner.scan("ok")
    assert events.wait("scanner_code")["code"] == "ok"


def test_pyusb_sees_the_simulated_descriptors(bus):
    scanner = bus.plug(SimScanner())
    dev = usb.core.find(backend=bus, idVendor=0x05E0)
    assert dev.product == "Simulated scanner"
    cfg = dev[0]
    intf = cfg[(0, 0)]
    assert (intf.bInterfaceClass, intf.bInterfaceSubClass, intf.bInterfaceProtocol) == (3, 1, 1)
    assert len(list(dev)) == 1 and len(list(cfg)) == 1  # no endless alternate settings
    assert dev.address == scanner.address
