"""Cash control records (domain/cash.py): the float, cash in and out, the count of the
drawer by notes and coins, the expected cash of a day from the sales, refunds and
movements; a count with letters or negative numbers refused by name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from appliance.domain import GENESIS, SaleError, verify_record
from appliance.domain.cash import cash_figures, close_cash, parse_count
from appliance.domain.figures import day_figures
from appliance.protocol.cash import CashRecord

AT = datetime(2026, 12, 3, 9, tzinfo=UTC)


def _cash(action, seq=1, **kw):
    return close_cash(
        action, record_id=f"c{seq}", till_id=1, seq=seq, prev_hash=GENESIS, closed_at=AT,
        cashier_id="m1", mode="online", snapshot_version=3, **kw,
    )  # fmt: skip


def test_a_count_by_notes_and_coins_adds_up_and_is_checked():
    assert parse_count({"5000": 2, "200": "3", "1": 0}) == {5000: 2, 200: 3}
    rec = _cash("count", counted={"5000": 2, "200": 3, "50": 1}, expected=10_500)
    assert rec["amount"] == 10_650 and rec["difference"] == 150 and rec["expected"] == 10_500
    assert rec["counted"] == {"5000": 2, "200": 3, "50": 1}
    assert verify_record(rec) and CashRecord.model_validate(rec).total == 0


@pytest.mark.parametrize(
    "counted",
    [{"5000": "deux"}, {"5000": -1}, {"5000": "-1"}, {"300": 1}, {"abc": 1}, {"200": True},
     {"200": 1.5}, ["5000", 2]],
)  # fmt: skip
def test_a_count_with_letters_negatives_or_no_such_coin_is_refused(counted):
    with pytest.raises(SaleError) as e:
        _cash("count", counted=counted, expected=0)
    assert e.value.code == "bad_count"


def test_movements_need_an_amount_and_a_reason():
    with pytest.raises(SaleError, match="whole cents") as e:
        _cash("float", amount="12,50")
    assert e.value.code == "bad_cash_amount"
    for bad in (0, -100, True, "x"):
        with pytest.raises(SaleError):
            _cash("in", amount=bad, reason="change")
    with pytest.raises(SaleError) as e:
        _cash("out", amount=500)
    assert e.value.code == "reason_needed"
    with pytest.raises(SaleError) as e:
        _cash("steal", amount=500)
    assert e.value.code == "bad_cash_action"
    rec = _cash("out", amount="2000", reason="  bank deposit ")
    assert rec["amount"] == 2000 and rec["reason"] == "bank deposit"
    CashRecord.model_validate(rec)


def test_the_wire_refuses_a_count_that_does_not_add_up():
    rec = _cash("count", counted={"1000": 2}, expected=1500)
    with pytest.raises(ValueError, match="add up"):
        CashRecord.model_validate({**rec, "amount": 2100, "difference": 600})
    with pytest.raises(ValueError, match="difference"):
        CashRecord.model_validate({**rec, "difference": 0})


def test_expected_cash_of_a_day_from_sales_refunds_and_movements():
    sale = {
        "kind": "sale", "till_id": 1, "seq": 1, "mode": "online", "total": 1500, "change": 500,
        "payments": [{"method": "cash", "amount": 2000}], "lines": [], "vat": [],
    }  # fmt: skip
    card = {**sale, "seq": 2, "change": 0, "payments": [{"method": "card", "amount": 1500}]}
    refund = {"kind": "refund", "total": 300, "payments": [{"method": "cash", "amount": 300}]}
    moves = [
        _cash("float", 3, amount=10_000),
        _cash("in", 4, amount=2_000, reason="change from the bank"),
        _cash("out", 5, amount=5_000, reason="bank deposit"),
    ]
    f = day_figures([sale, card, refund, *moves])
    assert f["total"] == 3000 and f["sales"] == 2  # movements are not takings
    cash = f["cash"]
    assert (cash["float"], cash["cash_in"], cash["cash_out"]) == (10_000, 2_000, 5_000)
    assert cash["expected"] == 10_000 + (2000 - 500) - 300 + 2_000 - 5_000 == 8_200
    assert cash["counted"] is None and cash["difference"] is None
    count = _cash("count", 6, counted={"5000": 1, "2000": 1, "1000": 1, "100": 2}, expected=8_200)
    after = cash_figures([*moves, count], net_cash=1200)
    assert after["counted"] == 8_200 and after["difference"] == 0 and after["movements"] == 4
