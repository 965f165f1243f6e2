"""A simulated receipt printer: one ESC/POS core behind USB, TCP 9100 and a serial line.

    printer = SimPrinter(drawer=SimDrawer(pin=2))
    bus.plug(printer.usb)                 # python-escpos / pyusb over the SimBus
    tcp = printer.serve_tcp()             # a real server on 127.0.0.1:tcp.port
    tty = printer.serve_serial()          # a pty: open tty.path with pyserial
    printer.text(), printer.png()         # what came out

TCP faults: `tcp.refuse()` (connection refused until `tcp.listen()`),
`tcp.stall()` (connections accepted, nothing read or answered) and
`tcp.reset_after(n)` (the connection is reset once n more bytes came in).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import threading
import time
import tty

from .drawer import SimDrawer
from .escpos import PrinterCore
from .paper import paper_png, paper_text
from .usb import Endpoint, Interface, SimDevice


class SimPrinter:
    def __init__(self, columns: int = 48, dots: int = 576, drawer: SimDrawer | None = None,
                 vid: int = 0x04B8, pid: int = 0x0E15) -> None:  # fmt: skip
        self.core = PrinterCore(columns, dots, drawer)
        self.usb = SimUsbPrinter(self.core, vid, pid)
        self.tcp: TcpPrinter | None = None
        self.serial: SerialPrinter | None = None

    @property
    def drawer(self) -> SimDrawer | None:
        return self.core.drawer

    def serve_tcp(self, host: str = "127.0.0.1", port: int = 0) -> TcpPrinter:
        self.tcp = TcpPrinter(self.core, host, port)
        return self.tcp

    def serve_serial(self) -> SerialPrinter:
        self.serial = SerialPrinter(self.core)
        return self.serial

    def close(self) -> None:
        for wire in (self.tcp, self.serial):
            if wire is not None:
                wire.close()

    def text(self) -> str:
        with self.core.lock:
            return paper_text(list(self.core.paper), self.core.columns)

    def receipts_text(self) -> list[str]:
        return [paper_text(r, self.core.columns) for r in self.core.receipts()]

    def png(self) -> bytes:
        with self.core.lock:
            return paper_png(list(self.core.paper), self.core.dots)


class SimUsbPrinter(SimDevice):
    """USB printer class (7/1/2, bidirectional): bulk OUT 0x01, bulk IN 0x82."""

    interfaces = (Interface(0, 7, 1, 2, (Endpoint(0x01, "bulk"), Endpoint(0x82, "bulk"))),)

    def __init__(self, core: PrinterCore, vid: int, pid: int) -> None:
        super().__init__(vid, pid, product="Simulated TM printer", manufacturer="Autonome sim")
        self.core = core
        self._answers = bytearray()

    def on_plug(self) -> None:  # a power cycle: the printer starts afresh
        self._answers.clear()
        self.core.power_on()

    def write_out(self, ep: int, data: bytes) -> None:
        self._answers += self.core.feed(data)

    def read_in(self, ep: int, size: int) -> bytes | None:
        if ep != 0x82 or not self._answers:
            return None
        out = bytes(self._answers[:size])
        del self._answers[:size]
        return out


class TcpPrinter:
    """A raw TCP 9100 listener on loopback that feeds the printer's core."""

    def __init__(self, core: PrinterCore, host: str = "127.0.0.1", port: int = 0) -> None:
        self.core, self.host = core, host
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._stalled = threading.Event()
        self._reset_after: int | None = None
        self._closed = False
        self._server: socket.socket | None = None
        self.port = port
        self.connections = 0
        self.listen()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # -- faults ---------------------------------------------------------------------------
    def listen(self) -> None:
        """(Back) on the air: accept connections on the same port."""
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((self.host, self.port))
        srv.listen(4)
        self.port = srv.getsockname()[1]
        self._server = srv
        threading.Thread(target=self._accept, args=(srv,), daemon=True, name="sim-9100").start()

    def refuse(self) -> None:
        """Connection refused from now on (open connections are reset too)."""
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
            self._server = None
        self.reset_connections()

    def stall(self, stalled: bool = True) -> None:
        """Stop (or go on) reading: senders block, nothing is answered."""
        if stalled:
            self._stalled.set()
        else:
            self._stalled.clear()

    def reset_after(self, n: int | None) -> None:
        """Reset the connection once n more bytes have come in (None: never)."""
        self._reset_after = n

    def reset_connections(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, set()
        for c in conns:
            _reset(c)

    def power_cycle(self) -> None:
        """Off (connections reset) and on again: same port, fresh printer."""
        self.refuse()
        self.core.power_on()
        self.listen()

    def close(self) -> None:
        self._closed = True
        self.refuse()

    # -- serving ----------------------------------------------------------------------------
    def _accept(self, srv: socket.socket) -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            while True:
                while self._stalled.is_set() and conn in self._conns:
                    time.sleep(0.02)
                if conn not in self._conns:
                    return
                data = conn.recv(65536)
                if not data:
                    return
                limit = self._reset_after
                if limit is not None and len(data) >= limit:
                    self._reset_after = None
                    self.core.feed(data[:limit])
                    with self._lock:
                        self._conns.discard(conn)
                    _reset(conn)
                    return
                if limit is not None:
                    self._reset_after = limit - len(data)
                answer = self.core.feed(data)
                if answer:
                    conn.sendall(answer)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()


def _reset(conn: socket.socket) -> None:
    """Close with RST rather than FIN, as a printer that lost power or gave up."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        conn.close()


class SerialPrinter:
    """The printer on a serial line: a pseudo-terminal whose `path` pyserial opens."""

    def __init__(self, core: PrinterCore) -> None:
        self.core = core
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self.stalled = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="sim-serial")
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if self.stalled:
                self._stop.wait(0.02)
                continue
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:  # no one has the line open right now
                self._stop.wait(0.02)
                continue
            answer = self.core.feed(data)
            if answer:
                os.write(self._master, answer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
