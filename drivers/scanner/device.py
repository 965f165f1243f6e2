"""Finding a scanner on USB and reading its reports with pyusb.

A scanner is found from its configured VID:PID, or else among the vendors of
`KNOWN_VENDORS`; either way it must have a HID (class 3) keyboard interface
with an interrupt IN endpoint. Opening it detaches the kernel's keyboard
driver (so the codes do not also type into the screen), claims the interface
and asks for the boot protocol; closing gives the interface back to the
kernel.
"""

from __future__ import annotations

import contextlib
import errno
from dataclasses import dataclass

import usb.core
import usb.util

from drivers.udev import install_hint

# vendors that make scanners only; their HID keyboard interface is the scanner
KNOWN_VENDORS: dict[int, str] = {
    0x05E0: "Symbol / Zebra",
    0x0C2E: "Honeywell",
    0x0536: "Hand Held Products",
    0x05F9: "Datalogic",
    0x1EAB: "Newland",
    0x065A: "Opticon",
}

HID_CLASS, BOOT_SUBCLASS, KEYBOARD_PROTOCOL = 3, 1, 1
_SET_IDLE, _SET_PROTOCOL, _HID_OUT = 0x0A, 0x0B, 0x21


class ScannerError(Exception):
    """A scanner that cannot be used; `code` for programs, the message for people."""

    def __init__(self, code: str, message: str, errno_: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.errno = code, message, errno_


@dataclass(frozen=True)
class ScannerMatch:
    """Which scanner to use: a VID (and PID), or None for any known scanner."""

    vid: int | None = None
    pid: int | None = None

    @classmethod
    def parse(cls, text: str | None) -> ScannerMatch:
        """From "05e0:1200", "05e0", or ""/None for any known scanner."""
        if not text:
            return cls()
        vid, _, pid = text.partition(":")
        try:
            return cls(int(vid, 16), int(pid, 16) if pid else None)
        except ValueError:
            raise ValueError(
                f"a scanner is named by VID:PID in hex, like 05e0:1200, not {text!r}"
            ) from None

    def accepts(self, dev: usb.core.Device) -> bool:
        if self.vid is None:
            known = dev.idVendor in KNOWN_VENDORS
        else:
            known = dev.idVendor == self.vid and self.pid in (None, dev.idProduct)
        return known and keyboard_interface(dev) is not None


def keyboard_interface(dev: usb.core.Device) -> usb.core.Interface | None:
    """The device's HID interface with an interrupt IN endpoint, boot keyboards first."""
    found = []
    for cfg in dev:
        for intf in cfg:
            if intf.bInterfaceClass != HID_CLASS or _interrupt_in(intf) is None:
                continue
            found.append(intf)
    found.sort(key=lambda i: i.bInterfaceProtocol != KEYBOARD_PROTOCOL)
    return found[0] if found else None


def _interrupt_in(intf: usb.core.Interface) -> usb.core.Endpoint | None:
    for ep in intf:
        is_in = usb.util.endpoint_direction(ep.bEndpointAddress) == usb.util.ENDPOINT_IN
        if is_in and usb.util.endpoint_type(ep.bmAttributes) == usb.util.ENDPOINT_TYPE_INTR:
            return ep
    return None


def device_name(dev: usb.core.Device) -> str:
    vendor = KNOWN_VENDORS.get(dev.idVendor, "scanner")
    return f"{dev.idVendor:04x}:{dev.idProduct:04x} {vendor} (bus {dev.bus} address {dev.address})"


def usb_failure(what: str, e: usb.core.USBError) -> ScannerError:
    """The scanner error for a pyusb error, with what to do about it."""
    rules = install_hint()
    if e.errno == errno.EACCES:
        return ScannerError(
            "scanner_permission", f"no permission to use the scanner {what}: {rules}", e.errno
        )
    if e.errno == errno.EBUSY:
        return ScannerError(
            "scanner_busy",
            f"the scanner {what} is busy (another program holds it, or its keyboard driver "
            f"could not be detached): {rules}",
            e.errno,
        )
    if e.errno == errno.ENODEV:
        return ScannerError("scanner_disconnected", f"scanner disconnected: {what}", e.errno)
    return ScannerError("scanner_failed", f"the scanner {what} failed: {e}", e.errno)


def find_scanner(match: ScannerMatch, backend) -> usb.core.Device | None:
    return usb.core.find(backend=backend, custom_match=match.accepts)


class OpenScanner:
    """A scanner whose keyboard interface this process holds."""

    def __init__(self, dev: usb.core.Device) -> None:
        self.dev = dev
        self.name = device_name(dev)
        intf = keyboard_interface(dev)
        if intf is None:
            raise ScannerError("scanner_failed", f"{self.name} has no HID keyboard interface")
        self.interface = intf.bInterfaceNumber
        ep = _interrupt_in(intf)
        assert ep is not None  # keyboard_interface only returns interfaces that have one
        self.endpoint = ep.bEndpointAddress
        self.packet_size = max(8, ep.wMaxPacketSize)
        self._detached = False
        try:
            self._claim(intf)
        except usb.core.USBError as e:
            self.close()
            raise usb_failure(self.name, e) from e

    def _claim(self, intf: usb.core.Interface) -> None:
        try:
            if self.dev.is_kernel_driver_active(self.interface):
                self.dev.detach_kernel_driver(self.interface)
                self._detached = True
        except NotImplementedError:  # backends without kernel drivers (not Linux)
            pass
        try:
            self.dev.get_active_configuration()
        except usb.core.USBError:
            self.dev.set_configuration()
        usb.util.claim_interface(self.dev, self.interface)
        if intf.bInterfaceSubClass == BOOT_SUBCLASS:
            # boot protocol: 8-byte reports whatever the report descriptor says
            self.dev.ctrl_transfer(_HID_OUT, _SET_PROTOCOL, 0, self.interface, None, 200)
        with contextlib.suppress(usb.core.USBError):  # optional; some scanners stall it
            self.dev.ctrl_transfer(_HID_OUT, _SET_IDLE, 0, self.interface, None, 200)

    def read(self, timeout_ms: int) -> bytes | None:
        """One report, or None if none came within timeout_ms; ScannerError otherwise."""
        try:
            data = self.dev.read(self.endpoint, self.packet_size, timeout_ms)
        except usb.core.USBTimeoutError:
            return None
        except usb.core.USBError as e:
            if e.errno == errno.ETIMEDOUT:
                return None
            raise usb_failure(self.name, e) from e
        return bytes(data)

    def close(self) -> None:
        """Give the interface back (to the kernel's driver too); never raises."""
        try:
            usb.util.release_interface(self.dev, self.interface)
            if self._detached:
                self.dev.attach_kernel_driver(self.interface)
        except (usb.core.USBError, NotImplementedError):
            pass  # unplugged: nothing to give back
        usb.util.dispose_resources(self.dev)
