"""Eaten in or taken away: each line's VAT follows the store's eat-in rates, lines rung
up after the switch too; back to take-away gives each line its article's own rate; the
record, the receipt and the day's figures say so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from appliance.domain import GENESIS, Line, Payment, Sale, SaleError, close_sale
from appliance.domain.approval import RulesError, rules_from
from appliance.domain.figures import day_figures
from appliance.till.receipt import receipt_document

RATES = {550: 1000}


def _line(name: str, price: int, bp: int) -> Line:
    return Line(article_id=name, name=name, unit_price=price, quantity=1, vat_bp=bp)


def _record(sale: Sale) -> dict:
    return close_sale(
        sale, sale_id="s1", till_id=1, seq=1, prev_hash=GENESIS,
        closed_at=datetime(2026, 12, 4, 12, tzinfo=UTC), cashier_id="c1", mode="online",
        snapshot_version=1,
    )  # fmt: skip


def test_the_lines_follow_the_switch_and_come_back():
    sale = Sale()
    sale.add_line(_line("Jambon-beurre", 450, 550))
    sale.add_line(_line("Bière", 400, 2000))
    sale.set_eat_in(True, RATES)
    assert [ln.vat_bp for ln in sale.lines] == [1000, 2000]
    sale.add_line(_line("Éclair", 250, 550))  # rung up after: eaten in too
    assert sale.lines[2].vat_bp == 1000 and sale.lines[2].as_dict()["own_vat_bp"] == 550
    assert {v.vat_bp: v.gross for v in sale.vat_breakdown()} == {1000: 700, 2000: 400}
    sale.set_eat_in(False, RATES)
    assert [ln.vat_bp for ln in sale.lines] == [550, 2000, 550]
    assert "own_vat_bp" not in sale.lines[0].as_dict()


def test_the_record_the_receipt_and_the_figures_say_eaten_in():
    sale = Sale()
    sale.add_line(_line("Jambon-beurre", 450, 550))
    sale.set_eat_in(True, RATES)
    sale.add_payment(Payment("card", 450))
    record = _record(sale)
    assert record["eat_in"] is True and [v["vat_bp"] for v in record["vat"]] == [1000]
    doc = receipt_document(record, store={}, till_name="Caisse 1", cashier_name="Léa")
    assert "Sur place" in repr(doc)
    away = Sale()
    away.add_line(_line("Jambon-beurre", 450, 550))
    away.add_payment(Payment("cash", 450))
    other = _record(away)
    assert "eat_in" not in other and "Sur place" not in repr(
        receipt_document(other, store={}, till_name="Caisse 1", cashier_name="Léa")
    )
    figures = day_figures([record, other])
    assert figures["eat_in"] == 1
    assert {v["vat_bp"]: v["gross"] for v in figures["vat"]} == {1000: 450, 550: 450}


def test_no_switch_once_a_payment_is_taken_and_bad_rates_are_named():
    sale = Sale()
    sale.add_line(_line("Jambon-beurre", 450, 550))
    sale.add_payment(Payment("cash", 100))
    with pytest.raises(SaleError):
        sale.set_eat_in(True, RATES)
    assert rules_from({"eat_in_vat": {"550": 1000}}).eat_in_vat == {550: 1000}
    with pytest.raises(RulesError, match="eat_in_vat"):
        rules_from({"eat_in_vat": {"5,5": 1000}})
    with pytest.raises(RulesError, match="eat_in_vat"):
        rules_from({"eat_in_vat": {"550": 100_000}})


def test_an_article_rung_up_again_in_a_sale_eaten_in_goes_on_its_line():
    sale = Sale()
    sale.set_eat_in(True, RATES)
    assert sale.add_line(_line("Croissant", 120, 550), merge=True) == 0
    assert sale.add_line(_line("Croissant", 120, 550), merge=True) == 0
    assert [(ln.quantity, ln.vat_bp, ln.own_vat_bp) for ln in sale.lines] == [(2, 1000, 550)]
