from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.domain import (
    FRENCH_RATES,
    GENESIS,
    Line,
    Payment,
    Sale,
    SaleError,
    close_sale,
    hash_pin,
    make_event,
    monotonic_closed_at,
    spread_discount,
    verify_chain,
    verify_pin,
)

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def bread(q=1):
    return Line("A1", "Baguette", 110, q, 550, "bread")


def coffee(q=1):
    return Line("D1", "Café", 150, q, 1000, "drinks")


def closed(sale, seq=1, prev=GENESIS, **kw):
    args = dict(
        sale_id=f"s{seq}",
        till_id=2,
        seq=seq,
        prev_hash=prev,
        closed_at=NOW,
        cashier_id="c1",
        mode="online",
        snapshot_version=3,
    )
    args.update(kw)
    return close_sale(sale, **args)


def test_cash_with_change():
    s = Sale()
    s.add_line(bread(2))
    s.add_line(coffee())
    assert s.total == 370
    s.add_payment(Payment("cash", 500))
    assert s.is_paid and s.change == 130 and s.voucher_excess == 0


def test_split_payment_card_then_cash():
    s = Sale()
    s.add_line(coffee(4))
    s.add_payment(Payment("card", 400))
    assert s.due == 200 and not s.is_paid
    s.add_payment(Payment("cash", 500))
    assert s.change == 300


def test_card_cannot_exceed_due():
    s = Sale()
    s.add_line(coffee())
    with pytest.raises(SaleError) as e:
        s.add_payment(Payment("card", 200))
    assert e.value.code == "overpayment"
    assert s.payments == []


def test_meal_voucher_gives_no_change():
    s = Sale()
    s.add_line(bread(3))
    s.add_payment(Payment("meal_voucher", 500))
    assert s.is_paid and s.change == 0 and s.voucher_excess == 170


def test_voucher_and_cash_change_comes_from_cash_only():
    s = Sale()
    s.add_line(bread(5))  # 5.50
    s.add_payment(Payment("meal_voucher", 400))
    s.add_payment(Payment("cash", 200))
    assert s.change == 50 and s.voucher_excess == 0


def test_line_and_sale_discounts():
    s = Sale()
    s.add_line(coffee(2))  # 3.00
    s.add_line(bread())  # 1.10
    s.discount_line(0, percent=10)
    assert s.lines[0].gross == 270
    s.discount_sale(cents=80)
    assert s.total == 300
    assert sum(v.gross for v in s.vat_breakdown()) == 300


def test_bad_inputs_are_refused_with_codes():
    s = Sale()
    with pytest.raises(SaleError) as e:
        s.add_payment(Payment("cash", 100))
    assert e.value.code == "empty_sale"
    with pytest.raises(SaleError):
        Payment("bitcoin", 100)
    s.add_line(bread())
    for bad in (0, -1, 10_000, 1.5, True):
        with pytest.raises(SaleError):
            s.set_quantity(0, bad)
    with pytest.raises(SaleError):
        s.discount_line(0, cents=500)
    with pytest.raises(SaleError):
        s.set_quantity(3, 1)


def test_no_edit_once_paying():
    s = Sale()
    s.add_line(bread())
    s.add_payment(Payment("cash", 50))
    with pytest.raises(SaleError):
        s.add_line(coffee())
    s.clear_payments()
    s.add_line(coffee())


@given(
    st.dictionaries(st.sampled_from(FRENCH_RATES), st.integers(0, 10**7), min_size=1),
    st.data(),
)
def test_spread_discount_is_exact_and_bounded(grosses, data):
    discount = data.draw(st.integers(0, sum(grosses.values())))
    shares = spread_discount(grosses, discount)
    assert sum(shares.values()) == discount
    for bp, share in shares.items():
        assert 0 <= share <= grosses[bp]


line_st = st.builds(
    Line,
    article_id=st.text(min_size=1, max_size=5),
    name=st.text(max_size=10),
    unit_price=st.integers(0, 100_000),
    quantity=st.integers(1, 50),
    vat_bp=st.sampled_from(FRENCH_RATES),
)


@given(st.lists(line_st, min_size=1, max_size=20), st.integers(0, 100))
def test_totals_match_vat_breakdown(lines, pct):
    s = Sale()
    for ln in lines:
        s.add_line(ln)
    s.discount_sale(percent=pct)
    vat = s.vat_breakdown()
    assert sum(v.gross for v in vat) == s.total
    assert all(v.net + v.vat == v.gross for v in vat)


def test_chain_links_and_detects_tampering():
    records, prev = [], GENESIS
    for seq in range(1, 5):
        s = Sale()
        s.add_line(bread(seq))
        s.add_payment(Payment("cash", 10_000))
        rec = closed(s, seq=seq, prev=prev)
        records.append(rec)
        prev = rec["hash"]
    assert verify_chain(records) == []
    tampered = [dict(r) for r in records]
    tampered[2]["total"] += 1
    assert [(b.seq, b.reason) for b in verify_chain(tampered)] == [(3, "bad_hash")]
    del tampered[2]
    assert verify_chain(tampered[:2] + tampered[2:]) == []  # a gap alone is not a break
    relinked = [dict(r) for r in records]
    relinked[3]["prev_hash"] = GENESIS
    reasons = {(b.seq, b.reason) for b in verify_chain(relinked)}
    assert (4, "broken_link") in reasons and (4, "bad_hash") in reasons


def test_close_refuses_unpaid_or_naive_time():
    s = Sale()
    s.add_line(bread())
    with pytest.raises(SaleError):
        closed(s)
    s.add_payment(Payment("cash", 200))
    with pytest.raises(SaleError):
        closed(s, closed_at=datetime(2026, 1, 1))


def test_clock_backwards_never_dates_before_last_sale():
    last = NOW
    t, behind = monotonic_closed_at(NOW - timedelta(hours=3), last)
    assert t == last and behind
    t, behind = monotonic_closed_at(NOW + timedelta(seconds=1), last)
    assert t > last and not behind


def test_pins_are_hashed_and_checked():
    stored = hash_pin("1234")
    assert "1234" not in stored
    assert verify_pin("1234", stored) and not verify_pin("4321", stored)
    assert not verify_pin("1234", "garbage")
    with pytest.raises(ValueError):
        hash_pin("12")


def test_events_carry_zone_and_type():
    ev = make_event("boot", event_id="e1", till_id=2, at=NOW)
    assert ev["type"] == "boot" and ev["at"].endswith("+00:00")
    with pytest.raises(ValueError):
        make_event("nonsense", event_id="e", till_id=2, at=NOW)


def test_a_price_typed_for_a_line_keeps_its_discount_if_it_fits():
    s = Sale()
    s.add_line(bread(3))
    s.discount_line(0, cents=100)
    s.set_price(0, 250)  # weighed, or a shelf label that differs
    assert (s.lines[0].unit_price, s.lines[0].discount, s.total) == (250, 100, 650)
    s.set_price(0, 20)  # the discount no longer fits: cut to the line's total
    assert (s.lines[0].discount, s.total) == (60, 0)
    for bad in (-1, 10_000_001, 1.5, True, "250"):
        with pytest.raises(SaleError, match="price"):
            s.set_price(0, bad)
    with pytest.raises(SaleError, match="no line"):
        s.set_price(3, 100)
    rec = closed(s)
    assert rec["lines"][0]["unit_price"] == 20


def test_a_category_goes_to_the_first_printer_that_lists_it():
    from appliance.domain import printers_by_category

    cuisine = {"printer_id": "cuisine", "categories": ["plats", "desserts"]}
    bar = {"printer_id": "bar", "categories": ["boissons", "desserts"]}
    routes = printers_by_category([cuisine, bar, {"printer_id": "x", "categories": None}])
    assert {c: p["printer_id"] for c, p in routes.items()} == {
        "plats": "cuisine", "desserts": "cuisine", "boissons": "bar",
    }  # fmt: skip


def test_an_article_rung_again_goes_on_its_line_when_asked():
    s = Sale()
    assert [s.add_line(bread(), merge=True) for _ in range(3)] == [0, 0, 0]
    assert [(ln.name, ln.quantity) for ln in s.lines] == [("Baguette", 3)]
    assert s.add_line(coffee(), merge=True) == 1
    assert s.add_line(bread(2), merge=True) == 0  # the last like line, not the end
    assert [(ln.name, ln.quantity) for ln in s.lines] == [("Baguette", 5), ("Café", 1)]
    assert s.total == 5 * 110 + 150
    assert s.add_line(bread()) == 2  # not asked: a line of its own
    assert [ln.quantity for ln in s.lines] == [5, 1, 1]


def test_a_line_priced_by_hand_or_discounted_is_not_merged():
    s = Sale()
    s.add_line(Line("W1", "Fromage à la coupe", 1800, 1, 550, "fromages"), merge=True)
    s.set_price(0, 1234)  # weighed: its price typed
    assert s.add_line(Line("W1", "Fromage à la coupe", 1800, 1, 550, "fromages"), merge=True) == 1
    s.set_price(1, 1800)  # typed back to the list price: still priced by hand
    assert s.add_line(Line("W1", "Fromage à la coupe", 1800, 1, 550, "fromages"), merge=True) == 2
    s.add_line(coffee(), merge=True)
    s.discount_line(3, cents=50)
    assert s.add_line(coffee(), merge=True) == 4  # the discounted line keeps its quantity
    assert [ln.quantity for ln in s.lines] == [1, 1, 1, 1, 1]
    assert s.add_line(coffee(), merge=True) == 4  # the new undiscounted one takes it
    assert s.lines[4].quantity == 2
    big = Sale()
    big.add_line(bread(9999), merge=True)
    assert big.add_line(bread(), merge=True) == 1  # past the largest quantity: a new line
