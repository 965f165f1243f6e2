"""USB, TCP 9100 and serial transports: python-escpos's printers with every wait bounded.

python-escpos 3.1's own transports are unsafe at a till: `Usb` resets the
device at every open and writes with no timeout (a stuck printer hangs the
sale) and drops the rest of a partial write; `Network` waits 60 s by default;
`Serial` has no write timeout and flushes (forever, if the line is stuck) on
close; and its status helpers answer "paper OK" when the printer says nothing.
Each class here is a python-escpos printer (`_raw`, `_read`, `open`, `close`)
that does not do that: opening never resets, each write loops over partial
writes against one deadline, each read has a timeout, and a failure is a
`PrinterError` saying how many bytes went out (`sent`: 0 means none did, so
the job can be sent again safely).

The classes are built on first use (`usb_printer`, `network_printer`,
`serial_printer`) because importing python-escpos has side effects.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import socket
import time
from dataclasses import dataclass
from typing import Any, Protocol

from drivers.udev import install_hint

from . import escpos_lib
from .status import MESSAGES

CHUNK = 4096


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = 3.0  # open: TCP connect, USB find and claim, serial open
    write_s: float = 10.0  # one whole job
    status_s: float = 1.0  # an answer to DLE EOT


class PrinterError(Exception):
    """The printer could not be used; `code` is a key of status.MESSAGES."""

    def __init__(self, code: str, detail: str = "", *, sent: int = 0) -> None:
        self.code, self.detail, self.sent = code, detail, sent
        self.message = MESSAGES.get(code, code)
        super().__init__(f"{self.message} ({detail})" if detail else self.message)


class Transport(Protocol):
    name: str

    def open(self) -> None: ...
    def close(self) -> None: ...
    def send(self, data: bytes) -> None: ...
    def read(self, timeout_s: float) -> bytes: ...
    def drain(self) -> None: ...
    @property
    def is_open(self) -> bool: ...


def _deadline_left(deadline: float) -> float:
    return deadline - time.monotonic()


@functools.cache
def _classes() -> dict[str, type]:
    escpos_lib.load()
    import serial
    import usb.core
    import usb.util
    from escpos.printer import Network, Serial, Usb

    def usb_error(what: str, e: usb.core.USBError, sent: int = 0) -> PrinterError:
        if e.errno in (errno.EACCES, errno.EBUSY):
            why = "no permission" if e.errno == errno.EACCES else "busy"
            return PrinterError(
                "printer_unreachable", f"{what}: {why}; {install_hint()}", sent=sent
            )
        return PrinterError("printer_unreachable", f"{what}: {e}", sent=sent)

    class UsbPrinter(Usb):
        def __init__(self, vid: int, pid: int, *, backend: Any = None,
                     timeouts: Timeouts = Timeouts(), in_ep: int = 0x82,
                     out_ep: int = 0x01):  # fmt: skip
            args: dict[str, Any] = {"idVendor": vid, "idProduct": pid}
            if backend is not None:
                args["backend"] = backend
            super().__init__(usb_args=args, timeout=int(timeouts.write_s * 1000),
                             in_ep=in_ep, out_ep=out_ep)  # fmt: skip
            self.timeouts = timeouts
            self.name = f"USB printer {vid:04x}:{pid:04x}"
            self.interface = 0

        @property
        def is_open(self) -> bool:
            return bool(self._device)

        def open(self, raise_not_found: bool = True) -> None:
            self.close()
            dev = usb.core.find(**self.usb_args)
            if dev is None:
                raise PrinterError("printer_unreachable", f"{self.name} is not plugged in")
            try:
                intf = usb.util.find_descriptor(dev[0], bInterfaceClass=7) or dev[0][(0, 0)]
                self.interface = intf.bInterfaceNumber
                with contextlib.suppress(NotImplementedError):
                    if dev.is_kernel_driver_active(self.interface):
                        dev.detach_kernel_driver(self.interface)  # usblp
                try:
                    dev.get_active_configuration()
                except usb.core.USBError:
                    dev.set_configuration()
                usb.util.claim_interface(dev, self.interface)
            except usb.core.USBError as e:
                usb.util.dispose_resources(dev)
                raise usb_error(self.name, e) from e
            self._device = dev  # and no reset: python-escpos's re-enumerates some printers

        def close(self) -> None:
            if self._device:
                usb.util.dispose_resources(self._device)
            self._device = False

        def _raw(self, msg: bytes) -> None:
            self.send(msg)

        def _read(self) -> bytes:
            return self.read(self.timeouts.status_s)

        def send(self, data: bytes) -> None:
            deadline = time.monotonic() + self.timeouts.write_s
            sent = 0
            while sent < len(data):
                left_ms = int(_deadline_left(deadline) * 1000)
                if left_ms <= 0:
                    raise PrinterError("printer_not_answering", f"{self.name}: "
                                       f"{sent} of {len(data)} bytes taken", sent=sent)  # fmt: skip
                try:
                    sent += self._device.write(self.out_ep, data[sent : sent + CHUNK], left_ms)
                except usb.core.USBTimeoutError:
                    continue  # the deadline check above says it
                except usb.core.USBError as e:
                    self.close()
                    raise usb_error(self.name, e, sent) from e

        def read(self, timeout_s: float) -> bytes:
            try:
                return bytes(self._device.read(self.in_ep, 64, max(1, int(timeout_s * 1000))))
            except usb.core.USBTimeoutError:
                return b""
            except usb.core.USBError as e:
                self.close()
                raise usb_error(self.name, e) from e

        def drain(self) -> None:
            for _ in range(16):
                if not self.read(0.002):
                    return

    class NetworkPrinter(Network):
        def __init__(self, host: str, port: int = 9100, *, timeouts: Timeouts = Timeouts()):
            super().__init__(host=host, port=port, timeout=timeouts.connect_s)
            self.timeouts = timeouts
            self.name = f"network printer {host}:{port}"

        @property
        def is_open(self) -> bool:
            return bool(self._device)

        def open(self, raise_not_found: bool = True) -> None:
            self.close()
            try:
                sock = socket.create_connection((self.host, self.port), self.timeouts.connect_s)
            except OSError as e:
                raise PrinterError("printer_unreachable", f"{self.name}: {e}") from e
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            self._device = sock

        def close(self) -> None:
            if self._device:
                with contextlib.suppress(OSError):
                    self._device.close()
            self._device = False

        def _raw(self, msg: bytes) -> None:
            self.send(msg)

        def _read(self) -> bytes:
            return self.read(self.timeouts.status_s)

        def _failed(self, e: OSError, sent: int) -> PrinterError:
            self.close()
            if isinstance(e, TimeoutError):
                return PrinterError("printer_not_answering", f"{self.name}: "
                                    f"stalled after {sent} bytes", sent=sent)  # fmt: skip
            return PrinterError("printer_unreachable", f"{self.name}: {e}", sent=sent)

        def send(self, data: bytes) -> None:
            deadline = time.monotonic() + self.timeouts.write_s
            sent = 0
            view = memoryview(data)
            while sent < len(data):
                left = _deadline_left(deadline)
                try:
                    if left <= 0:
                        raise TimeoutError("write deadline")
                    self._device.settimeout(left)
                    sent += self._device.send(view[sent : sent + CHUNK])
                except OSError as e:
                    raise self._failed(e, sent) from e

        def read(self, timeout_s: float) -> bytes:
            try:
                self._device.settimeout(max(0.001, timeout_s))
                data = self._device.recv(64)
            except TimeoutError:
                return b""
            except OSError as e:
                raise self._failed(e, 0) from e
            if not data:
                err = ConnectionResetError(errno.ECONNRESET, "the printer closed the connection")
                raise self._failed(err, 0)
            return data

        def drain(self) -> None:
            for _ in range(16):
                if not self.read(0.001):
                    return

    class SerialPrinter(Serial):
        def __init__(self, path: str, baudrate: int = 9600, *, timeouts: Timeouts = Timeouts(),
                     dsrdtr: bool = False, xonxoff: bool = False):  # fmt: skip
            super().__init__(devfile=path, baudrate=baudrate, timeout=timeouts.status_s,
                             dsrdtr=dsrdtr, xonxoff=xonxoff)  # fmt: skip
            self.timeouts = timeouts
            self.name = f"serial printer {path}"

        @property
        def is_open(self) -> bool:
            return bool(self._device)

        def open(self, raise_not_found: bool = True) -> None:
            self.close()
            try:
                self._device = serial.Serial(
                    port=self.devfile, baudrate=self.baudrate, bytesize=self.bytesize,
                    parity=self.parity, stopbits=self.stopbits, timeout=self.timeouts.status_s,
                    write_timeout=self.timeouts.write_s, xonxoff=self.xonxoff, dsrdtr=self.dsrdtr,
                )  # fmt: skip
            except (ValueError, serial.SerialException) as e:
                raise PrinterError("printer_unreachable", f"{self.name}: {e}") from e

        def close(self) -> None:
            # no flush(): it waits for the line to drain, forever if the printer is stuck
            if self._device:
                with contextlib.suppress(Exception):
                    self._device.reset_output_buffer()
                with contextlib.suppress(Exception):
                    self._device.close()
            self._device = False

        def _raw(self, msg: bytes) -> None:
            self.send(msg)

        def _read(self) -> bytes:
            return self.read(self.timeouts.status_s)

        def send(self, data: bytes) -> None:
            deadline = time.monotonic() + self.timeouts.write_s
            sent = 0
            while sent < len(data):
                left = _deadline_left(deadline)
                try:
                    if left <= 0:
                        raise serial.SerialTimeoutException("write deadline")
                    self._device.write_timeout = left
                    sent += self._device.write(data[sent : sent + 256]) or 0
                except serial.SerialTimeoutException as e:
                    self.close()
                    raise PrinterError("printer_not_answering", f"{self.name}: "
                                       f"stalled after {sent} bytes", sent=sent) from e  # fmt: skip
                except (OSError, serial.SerialException) as e:
                    self.close()
                    raise PrinterError("printer_unreachable", f"{self.name}: {e}", sent=sent) from e

        def read(self, timeout_s: float) -> bytes:
            try:
                self._device.timeout = max(0.001, timeout_s)
                return self._device.read(16)
            except (OSError, serial.SerialException) as e:
                self.close()
                raise PrinterError("printer_unreachable", f"{self.name}: {e}") from e

        def drain(self) -> None:
            with contextlib.suppress(OSError, serial.SerialException):
                self._device.reset_input_buffer()

    return {"usb": UsbPrinter, "network": NetworkPrinter, "serial": SerialPrinter}


def usb_printer(vid: int, pid: int, **kw: Any) -> Transport:
    """kw: backend (a pyusb backend), timeouts, in_ep, out_ep."""
    return _classes()["usb"](vid, pid, **kw)


def network_printer(host: str, port: int = 9100, **kw: Any) -> Transport:
    """kw: timeouts."""
    return _classes()["network"](host, port, **kw)


def serial_printer(path: str, baudrate: int = 9600, **kw: Any) -> Transport:
    """kw: timeouts, dsrdtr, xonxoff."""
    return _classes()["serial"](path, baudrate, **kw)
