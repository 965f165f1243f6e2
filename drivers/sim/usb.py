"""A simulated USB bus under the real pyusb: a `usb.backend.IBackend`.

pyusb's `usb.core.find(backend=bus)` and everything above it (python-escpos,
our scanner reader) run unchanged; only the bottom layer is simulated. The
errors are libusb's as pyusb's libusb1 backend raises them: `USBError` with
errno 13 (EACCES), 16 (EBUSY), 19 (ENODEV), and `USBTimeoutError` with 110.

A device model (`SimDevice` subclass) gives descriptors and what its
endpoints do. Faults are attributes of the device: `deny_access` (open fails
with 13, as without the udev rule), `busy` (claiming fails with 16: another
program holds it), `stalled` (transfers time out with 110), `max_write`
(partial writes), `stall_after` (n more bytes taken, then stalled),
`kernel_driver` (usbhid/usblp bound at plug-in). Unplugging
makes every handle fail with 19; plugging back re-enumerates the device at a
new address, and old handles stay dead, as with libusb.
"""

from __future__ import annotations

import array
import errno
import os
import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

import usb.backend
import usb.core

# a transfer with timeout 0 waits forever in libusb; the simulation gives up
# after this long so that a test exercising it cannot hang the suite
FOREVER_S = 30.0

_MESSAGES = {
    errno.EACCES: "Access denied (insufficient permissions)",
    errno.EBUSY: "Resource busy",
    errno.ENODEV: "No such device (it may have been disconnected)",
    errno.ETIMEDOUT: "Operation timed out",
    errno.ENOENT: "Entity not found",
}
_LIBUSB_CODES = {errno.EACCES: -3, errno.ENODEV: -4, errno.ENOENT: -5, errno.EBUSY: -6}


def usb_error(code: int) -> usb.core.USBError:
    if code == errno.ETIMEDOUT:
        return usb.core.USBTimeoutError(_MESSAGES[code], -7, code)
    return usb.core.USBError(_MESSAGES.get(code, os.strerror(code)), _LIBUSB_CODES.get(code), code)


@dataclass(frozen=True)
class Endpoint:
    address: int  # bit 7 set: IN
    kind: str  # "bulk" | "interrupt"
    max_packet: int = 64
    interval: int = 0

    def descriptor(self) -> SimpleNamespace:
        return SimpleNamespace(
            bLength=7, bDescriptorType=5, bEndpointAddress=self.address,
            bmAttributes=2 if self.kind == "bulk" else 3, wMaxPacketSize=self.max_packet,
            bInterval=self.interval, bRefresh=0, bSynchAddress=0, extra_descriptors=[],
        )  # fmt: skip


@dataclass(frozen=True)
class Interface:
    number: int
    cls: int
    subclass: int
    protocol: int
    endpoints: tuple[Endpoint, ...]

    def descriptor(self) -> SimpleNamespace:
        return SimpleNamespace(
            bLength=9, bDescriptorType=4, bInterfaceNumber=self.number, bAlternateSetting=0,
            bNumEndpoints=len(self.endpoints), bInterfaceClass=self.cls,
            bInterfaceSubClass=self.subclass, bInterfaceProtocol=self.protocol,
            iInterface=0, extra_descriptors=[],
        )  # fmt: skip


class SimDevice:
    """One simulated device; subclasses say what the endpoints do."""

    interfaces: tuple[Interface, ...] = ()

    def __init__(self, vid: int, pid: int, *, product: str, manufacturer: str,
                 serial: str = "SIM0001", kernel_driver: bool = True) -> None:  # fmt: skip
        self.vid, self.pid = vid, pid
        self.strings = {1: manufacturer, 2: product, 3: serial}
        self.kernel_driver_on_plug = kernel_driver
        self.deny_access = False
        self.busy = False
        self.stalled = False
        self.max_write: int | None = None
        self.stall_after: int | None = None  # stall once this many more bytes came in
        self.resets = 0
        self.control_requests: list[tuple[int, int, int, int]] = []
        self.bus: SimBus | None = None
        # per plug-in state, set by the bus
        self.plugged = False
        self.address = 0
        self.generation = 0
        self.configuration = 0
        self.kernel_drivers: set[int] = set()
        self.claimed: dict[int, object] = {}

    # -- what subclasses implement -----------------------------------------------------
    def on_plug(self) -> None:
        """Called at each plug-in (a power cycle starts the device afresh)."""

    def write_out(self, ep: int, data: bytes) -> None:
        raise usb_error(errno.EIO)

    def read_in(self, ep: int, size: int) -> bytes | None:
        """Data waiting on an IN endpoint, or None (the bus then waits)."""
        return None

    def next_ready_at(self) -> float | None:
        """monotonic time at which read_in will have data without any write."""
        return None

    # -- helpers for subclasses ---------------------------------------------------------
    def wake(self) -> None:
        if self.bus is not None:
            self.bus.wake()

    def descriptor(self) -> SimpleNamespace:
        return SimpleNamespace(
            bLength=18, bDescriptorType=1, bcdUSB=0x0200, bDeviceClass=0, bDeviceSubClass=0,
            bDeviceProtocol=0, bMaxPacketSize0=64, idVendor=self.vid, idProduct=self.pid,
            bcdDevice=0x0100, iManufacturer=1, iProduct=2, iSerialNumber=3,
            bNumConfigurations=1, address=self.address, bus=1, port_number=self.address % 8 + 1,
            port_numbers=(self.address % 8 + 1,), speed=2,
        )  # fmt: skip


@dataclass
class _Handle:
    device: SimDevice
    generation: int
    closed: bool = field(default=False)


class SimBus(usb.backend.IBackend):
    """The fake backend: pass it as `backend=` to pyusb (or python-escpos's usb_args)."""

    def __init__(self) -> None:
        super().__init__()
        self.devices: list[SimDevice] = []
        self._cond = threading.Condition()
        self._next_address = 1

    # -- the test's side: plugging, unplugging, power cycles ---------------------------
    def plug(self, device: SimDevice) -> SimDevice:
        with self._cond:
            device.bus = self
            self._next_address += 1
            device.address = self._next_address
            device.generation += 1
            device.plugged = True
            device.configuration = 1 if device.kernel_driver_on_plug else 0
            device.kernel_drivers = (
                {i.number for i in device.interfaces} if device.kernel_driver_on_plug else set()
            )
            device.claimed = {}
            device.on_plug()
            if device not in self.devices:
                self.devices.append(device)
            self._cond.notify_all()
        return device

    def unplug(self, device: SimDevice) -> None:
        with self._cond:
            device.plugged = False
            if device in self.devices:
                self.devices.remove(device)
            self._cond.notify_all()

    def power_cycle(self, device: SimDevice, off_s: float = 0.0) -> threading.Timer | None:
        """Off now, back (re-enumerated, new address) after off_s seconds."""
        self.unplug(device)
        if off_s <= 0:
            self.plug(device)
            return None
        timer = threading.Timer(off_s, self.plug, args=(device,))
        timer.daemon = True
        timer.start()
        return timer

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # -- enumeration and descriptors ---------------------------------------------------
    def enumerate_devices(self):
        with self._cond:
            return [d for d in self.devices if d.plugged]

    def get_parent(self, dev):
        return None

    def get_device_descriptor(self, dev):
        return dev.descriptor()

    def get_configuration_descriptor(self, dev, config):
        if config != 0:
            raise IndexError(config)  # one configuration; past it pyusb would loop forever
        return SimpleNamespace(
            bLength=9, bDescriptorType=2, wTotalLength=9, bNumInterfaces=len(dev.interfaces),
            bConfigurationValue=1, iConfiguration=0, bmAttributes=0x80, bMaxPower=50,
            extra_descriptors=[],
        )  # fmt: skip

    def get_interface_descriptor(self, dev, intf, alt, config):
        if config != 0 or alt != 0 or not 0 <= intf < len(dev.interfaces):
            raise IndexError((intf, alt, config))
        return dev.interfaces[intf].descriptor()

    def get_endpoint_descriptor(self, dev, ep, intf, alt, config):
        if config != 0 or alt != 0 or not 0 <= intf < len(dev.interfaces):
            raise IndexError((ep, intf, alt, config))
        endpoints = dev.interfaces[intf].endpoints
        if not 0 <= ep < len(endpoints):
            raise IndexError((ep, intf, alt, config))
        return endpoints[ep].descriptor()

    # -- handles -----------------------------------------------------------------------
    def open_device(self, dev):
        with self._cond:
            if not dev.plugged:
                raise usb_error(errno.ENODEV)
            if dev.deny_access:
                raise usb_error(errno.EACCES)
            return _Handle(dev, dev.generation)

    def close_device(self, dev_handle):
        dev_handle.closed = True
        with self._cond:
            dev = dev_handle.device
            for number, owner in list(dev.claimed.items()):
                if owner is dev_handle:
                    del dev.claimed[number]

    def _live(self, h: _Handle) -> SimDevice:
        dev = h.device
        if h.closed or not dev.plugged or dev.generation != h.generation:
            raise usb_error(errno.ENODEV)
        return dev

    def set_configuration(self, dev_handle, config_value):
        with self._cond:
            dev = self._live(dev_handle)
            if dev.kernel_drivers or any(o is not dev_handle for o in dev.claimed.values()):
                raise usb_error(errno.EBUSY)
            dev.configuration = config_value

    def get_configuration(self, dev_handle):
        with self._cond:
            return self._live(dev_handle).configuration

    def set_interface_altsetting(self, dev_handle, intf, altsetting):
        with self._cond:
            self._live(dev_handle)

    def claim_interface(self, dev_handle, intf):
        with self._cond:
            dev = self._live(dev_handle)
            owner = dev.claimed.get(intf)
            if dev.busy or intf in dev.kernel_drivers or (owner not in (None, dev_handle)):
                raise usb_error(errno.EBUSY)
            dev.claimed[intf] = dev_handle

    def release_interface(self, dev_handle, intf):
        with self._cond:
            dev = self._live(dev_handle)
            if dev.claimed.get(intf) is dev_handle:
                del dev.claimed[intf]

    def is_kernel_driver_active(self, dev_handle, intf):
        with self._cond:
            return intf in self._live(dev_handle).kernel_drivers

    def detach_kernel_driver(self, dev_handle, intf):
        with self._cond:
            dev = self._live(dev_handle)
            if intf not in dev.kernel_drivers:
                raise usb_error(errno.ENOENT)
            dev.kernel_drivers.discard(intf)

    def attach_kernel_driver(self, dev_handle, intf):
        with self._cond:
            dev = self._live(dev_handle)
            if intf in dev.claimed:
                raise usb_error(errno.EBUSY)
            dev.kernel_drivers.add(intf)

    def reset_device(self, dev_handle):
        with self._cond:
            self._live(dev_handle).resets += 1

    def clear_halt(self, dev_handle, ep):
        with self._cond:
            self._live(dev_handle)

    # -- transfers -----------------------------------------------------------------------
    def _check_claimed(self, dev: SimDevice, h: _Handle, intf: int) -> None:
        if dev.claimed.get(intf) is not h:
            raise usb_error(errno.EBUSY)  # libusb would claim it; pyusb always does first

    def _write(self, dev_handle, ep, intf, data, timeout):
        deadline = time.monotonic() + (timeout / 1000 if timeout else FOREVER_S)
        with self._cond:
            while True:
                dev = self._live(dev_handle)
                self._check_claimed(dev, dev_handle, intf)
                if not dev.stalled:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise usb_error(errno.ETIMEDOUT)
                self._cond.wait(left)
            chunk = bytes(data)
            if dev.max_write is not None:
                chunk = chunk[: dev.max_write]
            if dev.stall_after is not None:
                chunk = chunk[: dev.stall_after]
                dev.stall_after -= len(chunk)
                if dev.stall_after == 0:
                    dev.stall_after, dev.stalled = None, True
            dev.write_out(ep, chunk)
            self._cond.notify_all()
            return len(chunk)

    def _read(self, dev_handle, ep, intf, buff, timeout):
        deadline = time.monotonic() + (timeout / 1000 if timeout else FOREVER_S)
        with self._cond:
            while True:
                dev = self._live(dev_handle)
                self._check_claimed(dev, dev_handle, intf)
                if not dev.stalled:
                    data = dev.read_in(ep, len(buff))
                    if data:
                        n = min(len(data), len(buff))
                        buff[:n] = array.array("B", data[:n])
                        return n
                now = time.monotonic()
                if now >= deadline:
                    raise usb_error(errno.ETIMEDOUT)
                wait = deadline - now
                ready = dev.next_ready_at()
                if ready is not None and not dev.stalled:
                    wait = max(0.0, min(wait, ready - now))
                self._cond.wait(wait)

    bulk_write = intr_write = _write
    bulk_read = intr_read = _read

    def ctrl_transfer(self, dev_handle, bmRequestType, bRequest, wValue, wIndex, data, timeout):
        with self._cond:
            dev = self._live(dev_handle)
            dev.control_requests.append((bmRequestType, bRequest, wValue, wIndex))
            if bmRequestType & 0x80 and bRequest == 6 and wValue >> 8 == 3:  # GET_DESCRIPTOR string
                index = wValue & 0xFF
                if index == 0:
                    payload = bytes([4, 3, 0x09, 0x04])  # English (US)
                else:
                    text = dev.strings.get(index, "").encode("utf-16-le")
                    payload = bytes([2 + len(text), 3]) + text
                n = min(len(payload), len(data))
                data[:n] = array.array("B", payload[:n])
                return n
            return 0 if bmRequestType & 0x80 else len(data)
