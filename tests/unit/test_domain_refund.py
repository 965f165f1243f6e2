"""Refunds in the domain: the ticket typed or scanned, what is left to refund, the
record (its amounts add up to what was paid, however it is split), the figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from appliance.domain import GENESIS, Line, Payment, Sale, SaleError, close_sale, verify_record
from appliance.domain.figures import day_figures
from appliance.domain.refund import (
    close_refund,
    line_nets,
    parse_ticket,
    refund_method,
    refundable,
    ticket_reference,
)
from appliance.protocol.refund import RefundRecord

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def sale_record(*, discount: int = 0, method: str = "card", seq: int = 1) -> dict:
    s = Sale()
    s.add_line(Line("a1", "Baguette", 110, 3, 550))
    s.add_line(Line("a2", "Vin rouge", 1290, 1, 2000, discount=90))
    s.add_line(Line("a3", "Tarte", 1000, 1, 550))
    if discount:
        s.discount_sale(cents=discount)
    s.add_payment(Payment(method, s.total))
    return close_sale(
        s, sale_id=f"sale-{seq}", till_id=2, seq=seq, prev_hash=GENESIS, closed_at=T0,
        cashier_id="c1", mode="online", snapshot_version=1,
    )  # fmt: skip


def refund(sale: dict, picks: dict, before=(), seq: int = 2, **kw) -> dict:
    return close_refund(
        sale, picks, before, refund_id=f"refund-{seq}", till_id=2, seq=seq,
        prev_hash=sale["hash"], closed_at=T0, cashier_id="c1", mode="autonomous",
        snapshot_version=1, **kw,
    )  # fmt: skip


@pytest.mark.parametrize(
    "typed,till,seq,sale_id",
    [
        ("118", 2, 118, None),
        (" n° 118 ", 2, 118, None),
        ("T3-118", 3, 118, None),
        ("3-118", 3, 118, None),
        ("t3/7", 3, 7, None),
        ("3,118", 3, 118, None),
        (
            "6F1C2F8E-8D7A-4C1E-9A53-0C4B7F5E2A10",
            None,
            None,
            "6f1c2f8e-8d7a-4c1e-9a53-0c4b7f5e2a10",
        ),
    ],
)
def test_a_ticket_as_typed_or_scanned(typed, till, seq, sale_id):
    t = parse_ticket(typed, own_till=2)
    assert (t.till_id, t.seq, t.sale_id) == (till, seq, sale_id)


@pytest.mark.parametrize("typed", ["", "abc", "0", "T0-5", "12-", "1.5.6", "118x"])
def test_a_ticket_that_is_none_is_refused_by_name(typed):
    with pytest.raises(SaleError) as e:
        parse_ticket(typed, own_till=2)
    assert e.value.code == "bad_ticket"


def test_the_reference_printed_reads_back():
    t = parse_ticket(ticket_reference(4, 1234), own_till=1)
    assert (t.till_id, t.seq) == (4, 1234)


def test_line_nets_add_up_to_the_total_with_a_sale_discount():
    for discount in (0, 1, 7, 333, 1000):
        s = sale_record(discount=discount)
        assert sum(line_nets(s)) == s["total"]


def test_a_line_refunded_in_parts_gives_back_exactly_what_it_was_paid():
    s = sale_record(discount=100)  # 3 baguettes share a discount: 330 less their part
    net = line_nets(s)[0]
    before: list[dict] = []
    for seq in (2, 3, 4):
        r = refund(s, {0: 1}, before, seq=seq)
        before.append(r)
    assert sum(r["total"] for r in before) == net
    assert refundable(s, before)[0]["left"] == 0


def test_never_more_than_was_sold():
    s = sale_record()
    first = refund(s, {0: 2})
    with pytest.raises(SaleError) as e:
        refund(s, {0: 2}, [first], seq=3)
    assert e.value.code == "refund_too_much"
    assert "3 sold and 2 refunded already (1 left)" in e.value.message
    refused = [
        ({}, "refund_nothing"),
        ({0: 0}, "refund_nothing"),
        ({9: 1}, "no_such_line"),
        ({0: -1}, "bad_quantity"),
        ({0: True}, "bad_quantity"),
    ]
    for picks, code in refused:
        with pytest.raises(SaleError) as e:
            refund(s, picks)
        assert e.value.code == code


def test_the_record_is_chained_and_checked_on_the_wire():
    s = sale_record()
    r = refund(s, {0: 1, 2: 1}, approved_by="m1")
    assert verify_record(r)
    assert r["kind"] == "refund" and r["refund_of"] == "sale-1" and r["prev_hash"] == s["hash"]
    assert r["total"] == 110 + 1000 and r["payments"] == [{"method": "card", "amount": 1110}]
    assert sum(v["gross"] for v in r["vat"]) == r["total"]
    RefundRecord.model_validate(r)
    bad = {**r, "total": r["total"] + 1}
    with pytest.raises(ValueError):
        RefundRecord.model_validate(bad)


def test_the_method_follows_the_sale_or_the_cashier():
    assert refund_method(sale_record(method="card"), "original") == "card"
    assert refund_method(sale_record(method="cash"), "original") == "cash"
    assert refund_method(sale_record(method="meal_voucher"), "original") == "cash"
    assert refund_method(sale_record(method="card"), "cash") == "cash"
    with pytest.raises(SaleError):
        refund_method(sale_record(), "cheque")
    # the card gets back no more than it paid
    s = sale_record(method="cash")
    with pytest.raises(SaleError) as e:
        refund(s, {0: 1}, method="card")
    assert e.value.code == "refund_card_over"


def test_a_credit_note_is_not_refunded_again():
    s = sale_record()
    r = refund(s, {0: 1})
    with pytest.raises(SaleError) as e:
        refund(r, {0: 1}, seq=3)
    assert e.value.code == "not_a_sale"


def test_the_days_figures_take_refunds_off():
    cash = sale_record(method="cash", seq=1)
    card = sale_record(method="card", seq=2)
    r1 = refund(cash, {2: 1}, seq=3)  # 10,00 cash back
    r2 = refund(card, {0: 1}, seq=4)  # 1,10 to the card
    f = day_figures([cash, card, r1, r2])
    assert f["sales"] == 2 and f["total"] == cash["total"] + card["total"]
    assert f["refunds"]["count"] == 2 and f["refunds"]["total"] == 1110
    assert {p["method"]: p["amount"] for p in f["refunds"]["payments"]} == {
        "cash": 1000,
        "card": 110,
    }
    assert f["net_total"] == f["total"] - 1110
    assert f["net_cash"] == cash["total"] - 1000
    assert sum(v["gross"] for v in f["refunds"]["vat"]) == 1110
    # a day without refunds: the same figures as before, the refunds empty
    plain = day_figures([cash])
    assert plain["refunds"] == {"count": 0, "total": 0, "payments": [], "vat": []}
    assert plain["net_total"] == plain["total"]
