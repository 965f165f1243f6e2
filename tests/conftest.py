"""Shared by every test: pytest rewrites the asserts of the test bed's helpers."""

from __future__ import annotations

import contextlib
import socket

import pytest

pytest.register_assert_rewrite("testbed")

#: the ports `make demo` keeps (its kitchen and bar printers, the server's default):
#: tests take free ports, so that the demo and the tests run side by side
DEMO_PORTS = (9101, 9102, 8470)


@pytest.fixture
def demo_ports_held():
    """The demo's ports held for the test, as a running `make demo` holds them: a
    test that binds one fails or leaves its printer out. A port already held (by a
    demo running) stays held by it."""
    held: list[socket.socket] = []
    for port in DEMO_PORTS:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
            s.listen(1)
        except OSError:
            s.close()  # taken already: by the demo, which is the case this stands for
            continue
        held.append(s)
    yield DEMO_PORTS
    for s in held:
        with contextlib.suppress(OSError):
            s.close()
