"""`autonome devices selftest --sim`: the device drivers checked end to end on
simulated devices, under the real pyusb and python-escpos code.

- scanner: a US, a French and a Belgian scanner on a simulated USB bus, read
  by the real `ScannerReader`; each must give back the codes it typed;
- printer: a French receipt printed on a USB and on a TCP 9100 printer, the
  text that came out checked line by line; the status read (ready, paper
  low, paper out);
- drawer: kicked on the USB printer's port, its state read back open, then
  closed once pushed shut;
- kitchen: an order ticket printed on a TCP kitchen printer.

`run_selftest(folder)` returns one dict per section (what was checked, the
result, `ok`) and `ok` for the whole.
"""

from __future__ import annotations

import queue
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drivers.drawer import CashDrawer, DrawerConfig
from drivers.printer import (
    PAPER_80MM,
    PRINTED,
    PrinterLink,
    ReceiptPrinter,
    Timeouts,
    network_printer,
    render,
    usb_printer,
)

from .hardware import save_sim_ticket
from .receipt import receipt_document

__all__ = ["SAMPLE_RECORD", "SAMPLE_STORE", "run_selftest"]

FAST = Timeouts(connect_s=1.0, write_s=2.0, status_s=0.5)
CODES = ("3760000000011", "LOT-42a")

SAMPLE_STORE = {
    "name": "Boulangerie du Canal",
    "address": ["12 quai de Jemmapes", "75010 Paris"],
    "siret": "73282932000074",
    "vat_number": "FR44732829320",
    "timezone": "Europe/Paris",
}

#: a closed sale as the till records it (hash made up: only its first 12 characters print)
SAMPLE_RECORD: dict[str, Any] = {
    "kind": "sale", "v": 1, "sale_id": "6f1c2f8e-8d7a-4c1e-9a53-0c4b7f5e2a10", "till_id": 2,
    "seq": 118, "closed_at": "2026-11-28T10:00:07.123456+00:00", "cashier_id": "c1",
    "mode": "autonomous", "snapshot_version": 7,
    "lines": [
        {"article_id": "A001", "name": "Baguette tradition", "unit_price": 120, "quantity": 2,
         "vat_bp": 550, "category": "pain", "discount": 0},
        {"article_id": "A014", "name": "Tarte aux pommes à la crème pâtissière, part",
         "unit_price": 390, "quantity": 1, "vat_bp": 550, "category": "patisserie",
         "discount": 40},
        {"article_id": "A031", "name": "Café crème", "unit_price": 280, "quantity": 3,
         "vat_bp": 1000, "category": "boissons", "discount": 0},
    ],
    "sale_discount": 0, "total": 1430,
    "vat": [{"vat_bp": 1000, "gross": 840, "net": 764, "vat": 76},
            {"vat_bp": 550, "gross": 590, "net": 559, "vat": 31}],
    "payments": [{"method": "card", "amount": 1000}, {"method": "cash", "amount": 500}],
    "change": 70, "voucher_excess": 0, "clock_behind": False,
    "prev_hash": "0" * 64,
    "hash": "9c1d0f3ab2e4" + "5" * 52,
}  # fmt: skip

EXPECTED_RECEIPT = (
    "Boulangerie du Canal",
    "SIRET 732 829 320 00074",
    "28/11/2026 11:00:07",
    "Caisse 2",
    "Ticket n° 118",
    "Baguette tradition",
    "Café crème",
    "TOTAL TTC",
    "14,30 €",
    "5,5 %",
    "Espèces",
    "Carte bancaire",
    "Rendu",
    "0,70 €",
    "Vente enregistrée en mode autonome",
    "Empreinte : 9c1d0f3ab2e4",
)

SAMPLE_JOB = {
    "job_id": "5e7b2c1a-0d9f-4e55-8a11-2b3c4d5e6f70",
    "till_id": 2,
    "table": "12",
    "covers": 4,
    "note": "allergie aux noix",
    "lines": [
        {"name": "Croque-monsieur", "quantity": 2, "category": "plats"},
        {"name": "Quiche lorraine", "quantity": 1, "category": "plats", "note": "sans salade"},
    ],
}


def sample_receipt() -> Any:
    return receipt_document(SAMPLE_RECORD, store=SAMPLE_STORE, till_name="Caisse 2",
                            cashier_name="Camille Martin", paper=PAPER_80MM)  # fmt: skip


def _missing(text: str, expected: tuple[str, ...]) -> list[str]:
    return [e for e in expected if e not in text]


def _scanner() -> dict[str, Any]:
    from drivers.scanner import ScannerReader
    from drivers.sim import SimBus, SimScanner

    out: dict[str, Any] = {"checked": "codes typed by a simulated scanner in each layout, "
                           "read through pyusb by the real ScannerReader"}  # fmt: skip
    layouts = {}
    for lay in ("us", "fr", "be"):
        bus = SimBus()
        sim = bus.plug(SimScanner(keyboard_layout=lay, style="shift_apart", rollover=True))
        events: queue.Queue[dict[str, Any]] = queue.Queue()
        reader = ScannerReader(events.put, keyboard_layout=lay, backend=bus, poll_s=0.05)
        reader.start()
        got: list[str] = []
        try:
            deadline = time.monotonic() + 5
            connected = False
            while time.monotonic() < deadline and len(got) < len(CODES):
                try:
                    e = events.get(timeout=0.1)
                except queue.Empty:
                    continue
                if e["event"] == "scanner_connected" and not connected:
                    connected = True
                    for code in CODES:
                        sim.scan(code)
                elif e["event"] == "scanner_code":
                    got.append(e["code"])
        finally:
            reader.stop()
        layouts[lay] = {"typed": list(CODES), "decoded": got, "ok": got == list(CODES)}
    out["layouts"] = layouts
    out["ok"] = all(v["ok"] for v in layouts.values())
    return out


def _save(printer: Any, folder: Path, name: str) -> str:
    return save_sim_ticket(printer, folder, name) or ""


def _printer_and_drawer(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    from drivers.sim import SimBus, SimDrawer, SimPrinter

    doc = sample_receipt()
    printer: dict[str, Any] = {
        "checked": "a French receipt printed over USB and over TCP 9100, the printed text "
        "holding the expected lines; the status read ready, paper low, paper out",
    }
    usb_sim = SimPrinter(drawer=SimDrawer(pin=2))
    bus = SimBus()
    bus.plug(usb_sim.usb)
    usb_link = PrinterLink(usb_printer(0x04B8, 0x0E15, backend=bus, timeouts=FAST), FAST)
    tcp_sim = SimPrinter()
    tcp = tcp_sim.serve_tcp()
    tcp_link = PrinterLink(network_printer("127.0.0.1", tcp.port, timeouts=FAST), FAST)
    drawer: dict[str, Any] = {"checked": "ESC p on pin 2 of the USB printer's kick port, "
                              "its state read back by DLE EOT 1"}  # fmt: skip
    try:
        for name, sim, link in (("usb", usb_sim, usb_link), ("tcp", tcp_sim, tcp_link)):
            result = ReceiptPrinter(link).print(f"selftest-{name}", doc)
            missing = _missing(sim.text(), EXPECTED_RECEIPT)
            printer[name] = {
                "printer": link.name,
                "state": result.state,
                "bytes": len(render(doc)),
                "missing_lines": missing,
                "ok": result.state == PRINTED and not missing,
            }
        printer["png"] = _save(usb_sim, folder, "selftest-receipt.png")
        status: dict[str, Any] = {}
        status["ready"] = usb_link.status().problems
        usb_sim.core.paper_near_end = True
        status["paper_low"] = usb_link.status().problems
        usb_sim.core.paper_out = True
        status["paper_out"] = usb_link.status().problems
        usb_sim.core.paper_out = usb_sim.core.paper_near_end = False
        status_ok = (
            status["ready"] == []
            and status["paper_low"] == ["paper_near_end"]
            and status["paper_out"] == ["paper_out"]
        )
        printer["status"] = {**status, "ok": status_ok}
        printer["ok"] = printer["usb"]["ok"] and printer["tcp"]["ok"] and status_ok
        cash = CashDrawer(usb_link, DrawerConfig(pin=2))
        before = cash.is_open()
        cash.kick()
        after_kick = cash.is_open()
        usb_sim.drawer.close()
        after_close = cash.is_open()
        drawer.update(
            before=before,
            after_kick=after_kick,
            after_close=after_close,
            pulses=[list(p) for p in usb_sim.drawer.pulses],
            ok=(not before) and after_kick and not after_close,
        )
    finally:
        usb_link.close()
        tcp_link.close()
        tcp_sim.close()
    return printer, drawer


def _kitchen(folder: Path) -> dict[str, Any]:
    from drivers.printer.tickets import kitchen_ticket
    from drivers.sim import SimPrinter

    out: dict[str, Any] = {"checked": "an order ticket printed on a TCP 9100 kitchen printer"}
    sim = SimPrinter()
    tcp = sim.serve_tcp()
    link = PrinterLink(network_printer("127.0.0.1", tcp.port, timeouts=FAST), FAST)
    try:
        when = datetime(2026, 11, 28, 11, 2, tzinfo=UTC)
        doc = kitchen_ticket(SAMPLE_JOB, printer_name="Cuisine", lines=SAMPLE_JOB["lines"],
                             printed_at=when, till_name="Caisse 2")  # fmt: skip
        result = ReceiptPrinter(link).print(SAMPLE_JOB["job_id"], doc)
        expected = ("Cuisine", "Table 12", "Croque-monsieur", "Quiche lorraine", "sans salade")
        missing = _missing(sim.text(), expected)
        out.update(
            printer=link.name,
            state=result.state,
            missing_lines=missing,
            png=_save(sim, folder, "selftest-kitchen.png"),
            ok=result.state == PRINTED and not missing,
        )
    finally:
        link.close()
        sim.close()
    return out


def _section(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as e:  # a check that breaks says so; the others still run
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


def run_selftest(folder: Path) -> dict[str, Any]:
    """Every check on simulated devices; PNGs go to `folder`."""
    folder = Path(folder)
    report: dict[str, Any] = {"scanner": _section(_scanner)}
    both = _section(_printer_and_drawer, folder)
    if isinstance(both, tuple):
        report["printer"], report["drawer"] = both
    else:
        report["printer"] = both
        report["drawer"] = {"ok": False, "error": "not run: the printer check failed"}
    report["kitchen"] = _section(_kitchen, folder)
    sections = ("scanner", "printer", "drawer", "kitchen")
    report["ok"] = all(report[k].get("ok") is True for k in sections)
    return report
