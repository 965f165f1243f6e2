"""The credit note (AVOIR) of a refund, as the simulated printer prints it: the
reference of the sale it gives back, each line's amount, the total refunded, how it
goes back, the autonomous mention."""

from __future__ import annotations

from datetime import UTC, datetime

from appliance.domain import GENESIS, Line, Payment, Sale, close_sale
from appliance.domain.refund import close_refund
from appliance.till.credit_note import credit_note_document
from drivers.printer import PAPER_80MM, render
from drivers.sim.escpos import PrinterCore
from drivers.sim.paper import paper_text

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _printed(doc) -> str:
    core = PrinterCore(columns=48)
    core.feed(render(doc, PAPER_80MM))
    assert core.unknown == []
    return paper_text(core.paper, 48)


def test_a_credit_note_names_its_sale_and_what_goes_back():
    s = Sale()
    s.add_line(Line("a1", "Baguette", 110, 3, 550))
    s.add_line(Line("a2", "Tarte", 1000, 1, 550))
    s.add_payment(Payment("card", s.total))
    sale = close_sale(
        s, sale_id="s-1", till_id=2, seq=118, prev_hash=GENESIS, closed_at=T0,
        cashier_id="c1", mode="online", snapshot_version=1,
    )  # fmt: skip
    refund = close_refund(
        sale, {0: 2}, refund_id="r-1", till_id=2, seq=119, prev_hash=sale["hash"],
        closed_at=T0, cashier_id="c1", mode="autonomous", snapshot_version=1,
        method="cash", approved_by="m1",
    )  # fmt: skip
    text = _printed(
        credit_note_document(
            refund,
            store={"name": "Chez Nous", "timezone": "Europe/Paris"},
            till_name="Caisse 2",
            cashier_name="Camille Martin",
        )  # fmt: skip
    )
    assert "AVOIR" in text and "Avoir n° 119" in text
    assert "Ticket d'origine T2-118 du 03/12/2026 10:00" in text
    assert "Baguette" in text and "-2,20 €" in text and "Tarte" not in text
    assert "TOTAL REMBOURSÉ" in text and "2,20 €" in text
    assert "Remboursé en espèces" in text and "Approuvé par : m1" in text
    assert "mode autonome" in text
