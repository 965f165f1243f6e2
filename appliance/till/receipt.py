"""The French receipt of a closed sale, as a printer Document.

    doc = receipt_document(record, store=catalogue.store, till_name="Caisse 2",
                           cashier_name="Camille Martin", paper=PAPER_80MM)

From the sale record (the outbox's line, hash included) and the store's
identity (the snapshot's `meta.store`: name, address lines, siret,
vat_number, phone, timezone, footer; any may be missing): the store, the date
and time to the second in the store's time zone, the till and the ticket
number, the cashier, each line with its quantity, unit price, total and
discount, TOTAL TTC in large type, the VAT per rate (HT, TVA, TTC), the
payments in French and the change, a mention for a sale made in autonomous
mode, the first 12 characters of the chain hash, the sale id as a QR code,
thanks (the store's footer, else "Merci de votre visite"), a cut. Amounts
are written the French way: "12,50 €".
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appliance.domain import format_cents, rate_label
from drivers.printer import BOLD, PAPER_80MM, Document, DocumentBuilder, Paper, Style

__all__ = [
    "AUTONOMOUS_MENTION",
    "DEFAULT_TIMEZONE",
    "PAYMENT_NAMES",
    "THANKS",
    "euros",
    "receipt_document",
    "store_time",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Europe/Paris"
PAYMENT_NAMES = {
    "cash": "Espèces",
    "card": "Carte bancaire",
    "cheque": "Chèque",
    "meal_voucher": "Titre-restaurant",
}
AUTONOMOUS_MENTION = "Vente enregistrée en mode autonome"
THANKS = "Merci de votre visite"
HASH_SHOWN = 12


def euros(cents: int) -> str:
    """1250 -> "12,50 €"."""
    return format_cents(int(cents))


def _plain(cents: int) -> str:
    return format_cents(int(cents), symbol="")


def _rate(vat_bp: int) -> str:
    return rate_label(int(vat_bp)).replace(".", ",")


def _zone(name: Any) -> tzinfo:
    for candidate in (name, DEFAULT_TIMEZONE):
        if isinstance(candidate, str) and candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                log.warning("unknown time zone %r on the receipt", candidate)
    return UTC


def store_time(closed_at: str, timezone: Any = None) -> datetime:
    """The sale's time (ISO 8601 with its offset, UTC on the till) in the store's zone."""
    when = datetime.fromisoformat(closed_at)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(_zone(timezone))


def _siret(siret: str) -> str:
    s = "".join(siret.split())
    return f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}" if len(s) == 14 and s.isdigit() else siret


def _header(b: DocumentBuilder, store: dict[str, Any], big: Style) -> None:
    name = str(store.get("name") or "").strip()
    if name:
        b.text(name, "center", big)
    address = store.get("address") or []
    if isinstance(address, str):
        address = address.split("\n")
    for line in address:
        if str(line).strip():
            b.text(str(line).strip(), "center")
    if store.get("phone"):
        b.text(f"Tél. {store['phone']}", "center")
    if store.get("siret"):
        b.text(f"SIRET {_siret(str(store['siret']))}", "center")
    if store.get("vat_number"):
        b.text(f"N° TVA intracom. {store['vat_number']}", "center")


def receipt_document(
    record: dict[str, Any],
    *,
    store: dict[str, Any] | None,
    till_name: str,
    cashier_name: str,
    paper: Paper = PAPER_80MM,
) -> Document:
    """The customer's receipt of a closed sale record."""
    store = store or {}
    wide = paper.columns >= 42
    big = Style(bold=True, width=2 if wide else 1, height=2)
    cell = 9 if wide else 7  # the VAT table's number columns
    b = DocumentBuilder("receipt")
    _header(b, store, big)
    b.rule()
    when = store_time(str(record["closed_at"]), store.get("timezone"))
    b.columns(f"{when:%d/%m/%Y %H:%M:%S}", till_name)
    b.text(f"Ticket n° {record['seq']}")
    if cashier_name:
        b.text(f"Caissier : {cashier_name}")
    if record.get("eat_in"):  # its VAT is the rate eaten in
        b.text("Sur place", style=Style(bold=True))
    b.rule()
    count = 0
    for line in record.get("lines") or []:
        qty, unit = int(line["quantity"]), int(line["unit_price"])
        count += qty
        b.columns(str(line.get("name") or line.get("article_id") or ""), euros(qty * unit))
        if qty != 1:
            b.text(f"   {qty} x {euros(unit)}")
        if int(line.get("discount") or 0):
            b.columns("   Remise", euros(-int(line["discount"])))
    b.rule()
    sale_discount = int(record.get("sale_discount") or 0)
    if sale_discount:
        b.columns("Sous-total", euros(int(record["total"]) + sale_discount))
        b.columns("Remise sur le ticket", euros(-sale_discount))
    b.text(f"{count} article{'s' if count > 1 else ''}")
    b.columns("TOTAL TTC", euros(record["total"]), style=big)
    b.rule()
    widths = (None, cell, cell, cell)
    b.columns("Taux", "HT", "TVA", "TTC", widths=widths)
    for v in record.get("vat") or []:
        amounts = (_plain(v["net"]), _plain(v["vat"]), _plain(v["gross"]))
        b.columns(_rate(v["vat_bp"]), *amounts, widths=widths)
    b.rule()
    payments = record.get("payments") or []
    for p in payments:
        b.columns(PAYMENT_NAMES.get(p["method"], str(p["method"])), euros(p["amount"]))
    if int(record.get("change") or 0) or any(p["method"] == "cash" for p in payments):
        b.columns("Rendu", euros(int(record.get("change") or 0)))
    if int(record.get("voucher_excess") or 0):
        b.columns("Excédent titre-restaurant non rendu", euros(record["voucher_excess"]))
    b.rule()
    if record.get("mode") == "autonomous":
        b.text(AUTONOMOUS_MENTION, "center", BOLD)
    b.text(f"Empreinte : {str(record.get('hash') or '')[:HASH_SHOWN]}", "center")
    b.qr(str(record["sale_id"]), size=4)
    b.text(str(store.get("footer") or "").strip() or THANKS, "center", BOLD)
    b.cut()
    return b.build()
