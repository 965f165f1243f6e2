"""The French receipt of a closed sale: golden bytes, what it says, how it says it."""

from __future__ import annotations

import copy
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from appliance.domain import Payment, Sale, close_sale
from appliance.domain.sale import Line
from appliance.till.receipt import euros, receipt_document, store_time
from appliance.till.selftest import SAMPLE_RECORD, SAMPLE_STORE
from drivers.printer import PAPER_58MM, PAPER_80MM, render
from drivers.sim.escpos import PrinterCore
from drivers.sim.paper import paper_text

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("AUTONOME_UPDATE_GOLDEN") == "1"


def golden(name: str, actual: bytes) -> bytes:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(actual)
    return path.read_bytes()


def printed(data: bytes, columns: int = 48) -> str:
    core = PrinterCore(columns=columns)
    core.feed(data)
    assert core.unknown == []
    return paper_text(core.paper, columns)


def receipt(record=SAMPLE_RECORD, store=SAMPLE_STORE, paper=PAPER_80MM, cashier="Camille Martin"):
    doc = receipt_document(record, store=store, till_name="Caisse 2", cashier_name=cashier,
                           paper=paper)  # fmt: skip
    return printed(render(doc, paper), paper.columns)


def test_golden_bytes_of_a_receipt_for_a_fixed_record():
    doc = receipt_document(SAMPLE_RECORD, store=SAMPLE_STORE, till_name="Caisse 2",
                           cashier_name="Camille Martin", paper=PAPER_80MM)  # fmt: skip
    data = render(doc)
    assert data == golden("receipt-sale-80mm.escpos", data)
    text = printed(data)
    assert text == golden("receipt-sale-80mm.txt", text.encode()).decode()


def test_what_a_receipt_says():
    text = receipt()
    lines = text.splitlines()
    assert lines[0].strip() == "Boulangerie du Canal"
    assert "12 quai de Jemmapes" in text and "75010 Paris" in text
    assert "SIRET 732 829 320 00074" in text and "N° TVA intracom. FR44732829320" in text
    assert re.search(r"^28/11/2026 11:00:07 +Caisse 2$", text, re.M)
    assert "Ticket n° 118" in text and "Caissier : Camille Martin" in text
    assert re.search(r"^Baguette tradition +2,40 €$", text, re.M)
    assert "   2 x 1,20 €" in text
    assert re.search(r"^   Remise +-0,40 €$", text, re.M)
    assert re.search(r"^TOTAL TTC +14,30 €$", text, re.M)
    assert re.search(r"^Taux +HT +TVA +TTC$", text, re.M)
    assert re.search(r"^10 % +7,64 +0,76 +8,40$", text, re.M)
    assert re.search(r"^5,5 % +5,59 +0,31 +5,90$", text, re.M)
    assert re.search(r"^Carte bancaire +10,00 €$", text, re.M)
    assert re.search(r"^Espèces +5,00 €$", text, re.M)
    assert re.search(r"^Rendu +0,70 €$", text, re.M)
    assert "Vente enregistrée en mode autonome" in text
    assert "Empreinte : 9c1d0f3ab2e4" in text and "9c1d0f3ab2e45" not in text
    assert f"[QR {SAMPLE_RECORD['sale_id']}]" in text
    assert "Merci de votre visite" in text and lines[-1].startswith("8<")


def test_an_online_sale_has_no_autonomous_mention_and_a_voucher_excess_is_said():
    record = copy.deepcopy(SAMPLE_RECORD)
    record.update(mode="online", payments=[{"method": "meal_voucher", "amount": 1500}],
                  change=0, voucher_excess=70)  # fmt: skip
    text = receipt(record)
    assert "autonome" not in text
    assert "Titre-restaurant" in text and "Rendu" not in text
    assert re.search(r"Excédent titre-restaurant non rendu +0,70 €", text)


def test_a_receipt_from_close_sale_with_a_sale_discount_adds_up():
    sale = Sale()
    sale.add_line(Line("A1", "Pain", 250, 2, 550))
    sale.add_line(Line("A2", "Vin rouge", 1200, 1, 2000))
    sale.discount_sale(cents=170)
    sale.add_payment(Payment("cheque", sale.total))
    record = close_sale(sale, sale_id="s-1", till_id=3, seq=9, prev_hash="0" * 64,
                        closed_at=datetime(2026, 7, 14, 21, 59, 59, tzinfo=UTC),
                        cashier_id="c1", mode="online", snapshot_version=1)  # fmt: skip
    text = receipt(record)
    assert re.search(r"Sous-total +17,00 €", text)
    assert re.search(r"Remise sur le ticket +-1,70 €", text)
    assert re.search(r"TOTAL TTC +15,30 €", text) and "Chèque" in text
    assert "14/07/2026 23:59:59" in text  # summer time in Paris: UTC+2
    rows = re.findall(r"^(20 %|5,5 %) +(\d+,\d\d) +(\d+,\d\d) +(\d+,\d\d)$", text, re.M)
    assert sum(int(t.replace(",", "")) for *_, t in rows) == record["total"]
    for _rate, ht, tva, ttc in rows:
        assert int(ht.replace(",", "")) + int(tva.replace(",", "")) == int(ttc.replace(",", ""))


def test_the_store_time_zone_and_a_missing_store():
    assert store_time("2026-11-28T10:00:07+00:00", "America/Martinique").hour == 6
    assert store_time("2026-11-28T10:00:07+00:00", "Nowhere/Atlantis").hour == 11  # Paris
    text = receipt(store={})
    assert "SIRET" not in text and "TOTAL TTC" in text
    assert "28/11/2026 11:00:07" in text  # Europe/Paris by default


def test_58mm_paper_keeps_every_line_in_32_columns():
    text = receipt(paper=PAPER_58MM)
    # (the QR code's label is the simulator's, not printed text)
    assert all(len(line) <= 32 for line in text.splitlines() if not line.startswith("[QR"))
    assert "TOTAL TTC" in text and "Ticket n° 118" in text and "Rendu" in text


@pytest.mark.parametrize(("cents", "said"), [(0, "0,00 €"), (1250, "12,50 €"), (-40, "-0,40 €")])
def test_amounts_the_french_way(cents, said):
    assert euros(cents) == said
