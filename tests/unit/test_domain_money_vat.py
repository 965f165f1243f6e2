from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.domain import (
    FRENCH_RATES,
    format_cents,
    parse_cents,
    rate_label,
    round_half_up,
    vat_breakdown,
    vat_from_gross,
)

cents = st.integers(min_value=0, max_value=10**9)
rates = st.sampled_from(FRENCH_RATES)


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**6))
def test_round_half_up_matches_decimal(num, den):
    expected = (Decimal(num) / Decimal(den)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert round_half_up(num, den) == int(expected)


@given(cents, rates)
def test_vat_is_the_rounded_exact_share(gross, bp):
    exact = Decimal(gross) * bp / (10000 + bp)
    vat = vat_from_gross(gross, bp)
    assert abs(Decimal(vat) - exact) <= Decimal("0.5")
    assert 0 <= vat <= gross


def test_vat_known_values():
    # 12.00 incl. 20 %: net 10.00, VAT 2.00
    assert vat_from_gross(1200, 2000) == 200
    # 1.10 incl. 5.5 %: 0.0573... -> 0.06
    assert vat_from_gross(110, 550) == 6
    # 10.00 incl. 2.1 %: 0.2057 -> 0.21
    assert vat_from_gross(1000, 210) == 21


@given(st.dictionaries(rates, cents, min_size=1))
def test_breakdown_adds_up_per_rate(grosses):
    lines = vat_breakdown(grosses)
    assert [ln.vat_bp for ln in lines] == sorted(grosses, reverse=True)
    for ln in lines:
        assert ln.net + ln.vat == ln.gross == grosses[ln.vat_bp]
        assert ln.vat == vat_from_gross(ln.gross, ln.vat_bp)


def test_vat_on_the_rate_total_not_per_line():
    # Ten items at 0.15 incl. 5.5 %: per line 0.0078 -> 0.01 each = 0.10;
    # on the total 1.50 -> 0.0782 -> 0.08. The law asks for the total.
    assert vat_breakdown({550: 150})[0].vat == 8


@given(st.integers(-(10**9), 10**9))
def test_format_then_parse_round_trips(c):
    assert parse_cents(format_cents(c)) == c
    assert parse_cents(format_cents(c, decimal=".", symbol="")) == c


@pytest.mark.parametrize(
    "text,value", [("12,50", 1250), ("12.5", 1250), ("3", 300), ("0,05 €", 5), ("-1,20", -120)]
)
def test_parse_cents(text, value):
    assert parse_cents(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1,234", "1.2.3", "12,5x"])
def test_parse_cents_refuses_junk(text):
    with pytest.raises(ValueError):
        parse_cents(text)


def test_rate_labels():
    assert [rate_label(r) for r in FRENCH_RATES] == ["20 %", "10 %", "5.5 %", "2.1 %"]
