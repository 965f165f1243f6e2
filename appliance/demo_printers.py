"""The demo catalogue's kitchen and bar printers, simulated on loopback.

`autonome demo` keeps them where the demo catalogue names them (127.0.0.1:9101
and 9102); the drill and the tests ask for free ports and tell the store server
where they are (`autonome server init --demo --printer ID=HOST:PORT`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "DEMO_PORTS",
    "FREE_PORTS",
    "NO_PRINTERS",
    "printer_options",
    "start_kitchen_printers",
]

#: the demo catalogue's shared printers (appliance.server.demo.PRINTERS)
DEMO_PORTS: Mapping[str, int] = {"cuisine": 9101, "bar": 9102}
#: the same printers, each on a port the system picks
FREE_PORTS: Mapping[str, int] = {"cuisine": 0, "bar": 0}
#: `server init --demo` options for a store whose printers nobody listens to (the
#: discard port of loopback): its tickets never reach a running demo's printers
NO_PRINTERS = ("--printer", "cuisine=127.0.0.1:9", "--printer", "bar=127.0.0.1:9")


def start_kitchen_printers(
    say: Callable[[str], Any] = print, ports: Mapping[str, int] = DEMO_PORTS
) -> dict[str, Any]:
    """A simulated printer for each printer id, listening on its port of `ports`
    (0: a free one; the printer's `tcp.address` says which). A port that is taken
    is said and its printer left out."""
    from drivers.sim import SimPrinter

    printers: dict[str, Any] = {}
    for printer_id, port in ports.items():
        printer = SimPrinter()
        try:
            printer.serve_tcp(port=port)
        except OSError as e:
            say(f"printer {printer_id} not simulated: port {port} is taken ({e})")
            continue
        printers[printer_id] = printer
    return printers


def printer_options(printers: Mapping[str, Any]) -> list[str]:
    """`server init` options that point the catalogue's printers at these."""
    options: list[str] = []
    for printer_id, printer in printers.items():
        options += ["--printer", f"{printer_id}={printer.tcp.address}"]
    return options
