"""The credit note (AVOIR) of a refund record, as a printer Document.

Like the receipt (receipt.py): the store, the date and time, the till, the credit
note's own number and the cashier; then the reference of the sale it gives back
("Ticket d'origine T2-118 du 03/12/2026 10:00"), each line given back with its
amount, TOTAL REMBOURSÉ, the VAT given back per rate, how it is paid back, the
manager who approved it, the autonomous mention, the chain hash and the credit
note's id as a QR code.
"""

from __future__ import annotations

from typing import Any

from appliance.domain.refund import ticket_reference
from drivers.printer import BOLD, PAPER_80MM, Document, DocumentBuilder, Paper, Style

from .receipt import HASH_SHOWN, _header, _plain, _rate, euros, store_time

__all__ = ["CREDIT_NOTE", "REFUND_NAMES", "credit_note_document"]

CREDIT_NOTE = "AVOIR"
REFUND_NAMES = {"cash": "Remboursé en espèces", "card": "Remboursé sur la carte"}


def credit_note_document(
    record: dict[str, Any],
    *,
    store: dict[str, Any] | None,
    till_name: str,
    cashier_name: str,
    paper: Paper = PAPER_80MM,
) -> Document:
    """The customer's credit note of a refund record."""
    store = store or {}
    wide = paper.columns >= 42
    big = Style(bold=True, width=2 if wide else 1, height=2)
    cell = 9 if wide else 7
    b = DocumentBuilder("receipt")
    _header(b, store, big)
    b.rule()
    b.text(CREDIT_NOTE, "center", big)
    when = store_time(str(record["closed_at"]), store.get("timezone"))
    b.columns(f"{when:%d/%m/%Y %H:%M:%S}", till_name)
    b.text(f"Avoir n° {record['seq']}")
    if cashier_name:
        b.text(f"Caissier : {cashier_name}")
    original = record.get("original") or {}
    first = store_time(str(original.get("closed_at")), store.get("timezone"))
    ref = ticket_reference(int(original.get("till_id", 0)), int(original.get("seq", 0)))
    b.text(f"Ticket d'origine {ref} du {first:%d/%m/%Y %H:%M}")
    b.rule()
    for line in record.get("lines") or []:
        qty, unit = int(line["quantity"]), int(line["unit_price"])
        b.columns(str(line.get("name") or line.get("article_id") or ""), euros(-line["amount"]))
        if qty != 1:
            b.text(f"   {qty} x {euros(unit)}")
    b.rule()
    b.columns("TOTAL REMBOURSÉ", euros(record["total"]), style=big)
    b.rule()
    widths = (None, cell, cell, cell)
    b.columns("Taux", "HT", "TVA", "TTC", widths=widths)
    for v in record.get("vat") or []:
        amounts = (_plain(v["net"]), _plain(v["vat"]), _plain(v["gross"]))
        b.columns(_rate(v["vat_bp"]), *amounts, widths=widths)
    b.rule()
    for p in record.get("payments") or []:
        b.columns(REFUND_NAMES.get(p["method"], str(p["method"])), euros(p["amount"]))
    if record.get("approved_by"):
        b.text(f"Approuvé par : {record['approved_by']}")
    b.rule()
    if record.get("mode") == "autonomous":
        b.text("Avoir enregistré en mode autonome", "center", BOLD)
    b.text(f"Empreinte : {str(record.get('hash') or '')[:HASH_SHOWN]}", "center")
    b.qr(str(record["sale_id"]), size=4)
    b.cut()
    return b.build()
