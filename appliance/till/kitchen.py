"""Kitchen and bar tickets the till prints itself: which lines go to which printer,
and the printing.

A line goes to the first printer of the snapshot's `printers` table whose
`categories` hold the line's category (the server routes the same way). The
till prints a line itself when that printer is marked `direct` in the
snapshot and configured in this till's devices.toml ([[kitchen]]); every
other line goes to the server, which refuses a category without a printer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.domain import printers_by_category
from drivers.printer import NOT_PRINTED, PRINTED, PrintResult

from .hardware import Hardware, save_sim_ticket
from .jobthread import JobThread
from .receipt import store_time

if TYPE_CHECKING:
    from .ports import DeviceHost

__all__ = ["KitchenTickets", "split_direct", "till_name"]

log = logging.getLogger(__name__)


def split_direct(
    lines: list[dict[str, Any]], printers: list[dict[str, Any]], local: set[str] | frozenset[str]
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """(printer id -> the lines this till prints there, the lines for the server).

    `local`: the ids of the direct printers configured on this till."""
    routes = printers_by_category(printers)
    direct: dict[str, list[dict[str, Any]]] = {}
    rest: list[dict[str, Any]] = []
    for line in lines:
        printer = routes.get(str(line.get("category") or ""))
        pid = str(printer.get("printer_id")) if printer else ""
        if printer is not None and printer.get("direct") and pid in local:
            direct.setdefault(pid, []).append(line)
        else:
            rest.append(line)
    return direct, rest


def till_name(till: DeviceHost) -> str:
    """The till as receipts and tickets name it."""
    return f"Caisse {till.till_id}"


class KitchenTickets:
    """Prints the lines routed to this till's direct kitchen and bar printers, in a
    thread of its own (a printer that does not answer never holds up a receipt).

    Events: `kitchen_printed`, `kitchen_not_printed` (nothing went out, on the
    printer nor on its backup: the cashier tells the kitchen), `kitchen_uncertain`.
    A ticket's job id is `<job_id>/<printer id>`: never printed twice."""

    def __init__(
        self,
        till: DeviceHost,
        hw: Hardware,
        folder: Path,
        on_status: Callable[[str, PrintResult], None],
    ) -> None:
        self.till = till
        self.hw = hw
        self.folder = folder
        self.on_status = on_status
        self.thread = JobThread("kitchen-printers")

    @property
    def local(self) -> frozenset[str]:
        return frozenset(self.hw.kitchen)

    def split(
        self, lines: list[dict[str, Any]]
    ) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
        """(printer id -> the lines this till prints there, the lines for the server)."""
        return split_direct(lines, self._printers(), self.local)

    def print(self, job: dict[str, Any], routes: dict[str, list[dict[str, Any]]]) -> None:
        for pid, lines in routes.items():
            self.thread.put(self._print, job, pid, lines)

    def _printers(self) -> list[dict[str, Any]]:
        return list(getattr(self.till.catalogue, "printers", None) or [])

    def _row(self, pid: str) -> dict[str, Any]:
        for p in self._printers():
            if str(p.get("printer_id")) == pid:
                return p
        return {"printer_id": pid, "name": pid}

    def _print(self, job: dict[str, Any], pid: str, lines: list[dict[str, Any]]) -> None:
        from drivers.printer.tickets import COPY_BANNER, kitchen_ticket

        row = self._row(pid)
        station = str(row.get("name") or pid)
        kind = "bar" if row.get("kind") == "bar" else "kitchen"
        store = getattr(self.till.catalogue, "store", None) or {}
        printed_at = store_time(self.till.now().isoformat(), store.get("timezone"))
        result: PrintResult | None = None
        printed_on = pid
        for target in dict.fromkeys([pid, str(row.get("backup") or "")]):
            kp = self.hw.kitchen.get(target)
            if kp is None:
                continue
            doc = kitchen_ticket(
                job, printer_name=station, lines=lines, printed_at=printed_at,
                till_name=till_name(self.till), paper=kp.paper, kind=kind,
                banner=COPY_BANNER if job.get("reprint") else "",
            )  # fmt: skip
            result, printed_on = kp.printer.print(f"{job['job_id']}/{pid}", doc), target
            self.on_status(target, result)
            if result.state != NOT_PRINTED:
                break
        if result is None:
            log.error("kitchen printer %s is not configured on this till", pid)
            return
        fields: dict[str, Any] = {
            "job_id": job["job_id"],
            "printer_id": pid,
            "printer_name": station,
            "printed_on": printed_on,
            "lines": len(lines),
            "state": result.state,
            "problems": list(result.problems),
        }
        if result.state != NOT_PRINTED:
            sim = self.hw.sim.kitchen.get(printed_on)
            png = save_sim_ticket(sim, self.folder, f"kitchen-{printed_on}.png")
            if png is not None:
                fields["png"] = png
        bus = self.till.bus
        if result.state == PRINTED:
            bus.publish("kitchen_printed", **fields)
            return
        said = result.message.replace("The receipt printer", f"The {station} printer")
        if result.state == NOT_PRINTED:
            message = f"{said} The {station} ticket did not print: tell the {kind} yourself."
            bus.publish("kitchen_not_printed", message=message, **fields)
        else:
            message = f"{said} The {station} ticket may be incomplete: check it at the {kind}."
            bus.publish("kitchen_uncertain", message=message, **fields)
