"""X and Z reports: figures checked against sums worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from appliance.server.enrolment import create_code, enrol
from appliance.server.ingest import ingest_batch
from appliance.server.reports import ReportError, close_day, today, x_report
from appliance.server.samples import SaleMaker
from appliance.server.storage import open_store

BAGUETTE = ("A001", "Baguette", 110, 2, 550)
EXPRESSO = ("A114", "Expresso", 150, 1, 1000)
WINE = ("A144", "Verre de vin rouge", 450, 2, 2000)
CROISSANTS = ("A026", "Croissant", 110, 3, 550)


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "server.db")
    yield s
    s.close()


def _noon(days_ago: int = 0) -> datetime:
    return datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0) - (
        timedelta(days=days_ago)
    )


@pytest.fixture
def day_of_sales(store):
    t1, _ = enrol(store, create_code(store), "caisse 1")
    t2, _ = enrol(store, create_code(store), "caisse 2")
    m1, m2 = SaleMaker(t1), SaleMaker(t2)
    a = m1.sale([BAGUETTE, EXPRESSO], [("cash", 500)], closed_at=_noon())
    b = m1.sale([WINE], [("card", 900)], closed_at=_noon())
    d = m2.sale([("A001", "Baguette", 110, 1, 550)], [("cash", 110)], closed_at=_noon(1))
    c = m2.sale([CROISSANTS], [("meal_voucher", 400)], sale_discount=30, closed_at=_noon())
    assert ingest_batch(store, t1, [a, b])[1] == 2
    assert ingest_batch(store, t2, [d, c])[1] == 2
    return t1, t2


def test_x_report_per_till_payment_and_vat(store, day_of_sales):
    t1, t2 = day_of_sales
    r = x_report(store)
    # a: 2x1.10 + 1.50 = 3.70, cash 5.00, change 1.30
    # b: 2x4.50 = 9.00 by card
    # c: 3x1.10 - 0.30 = 3.00, meal voucher 4.00, 1.00 excess kept (no cash, no change)
    # d: yesterday, not in today's report
    assert r["kind"] == "X" and r["day"] == today()
    assert (r["sales"], r["total"], r["voucher_excess"], r["discounts"]) == (3, 1570, 100, 30)
    assert [(t["till_id"], t["sales"], t["total"]) for t in r["tills"]] == [
        (t1, 2, 1270),
        (t2, 1, 300),
    ]
    assert {p["method"]: (p["amount"], p["count"]) for p in r["payments"]} == {
        "cash": (370, 1),
        "card": (900, 1),
        "meal_voucher": (400, 1),
    }
    # VAT on each sale's rate totals, rounded half up, summed per rate:
    # 20 %: 900 -> 150 ; 10 %: 150 -> 13.64 -> 14 ; 5.5 %: 220 -> 11.47 -> 11, 300 -> 15.64 -> 16
    assert [(v["vat_bp"], v["gross"], v["net"], v["vat"]) for v in r["vat"]] == [
        (2000, 900, 750, 150),
        (1000, 150, 136, 14),
        (550, 520, 493, 27),
    ]
    paid = sum(p["amount"] for p in r["payments"])
    assert paid == r["total"] + r["voucher_excess"]


def test_x_report_of_another_day(store, day_of_sales):
    yesterday = _noon(1).date().isoformat()
    r = x_report(store, yesterday)
    assert (r["sales"], r["total"]) == (1, 110)
    assert r["payments"] == [{"method": "cash", "amount": 110, "count": 1}]


def test_z_is_stored_once_numbered_and_returned_again(store, day_of_sales):
    t1, _ = day_of_sales
    z, made = close_day(store)
    assert made and z["kind"] == "Z" and z["number"] == 1 and z["total"] == 1570
    again, made_again = close_day(store, today())
    assert not made_again
    assert again == z
    # a sale of that day arriving after the Z does not change it, it is shown apart
    late = SaleMaker(t1, start_seq=3, seed=3).sale([EXPRESSO], [("card", 150)], closed_at=_noon())
    ingest_batch(store, t1, [late])
    after, _ = close_day(store)
    assert after["total"] == 1570 and after["number"] == 1
    assert after["late_sales"] == {"sales": 1, "total": 150}
    assert x_report(store)["total"] == 1720
    yesterday, made_y = close_day(store, _noon(1).date().isoformat())
    assert made_y and yesterday["number"] == 2 and yesterday["total"] == 110


def test_no_report_for_a_day_not_begun_or_not_a_day(store):
    tomorrow = (datetime.now().astimezone() + timedelta(days=1)).date().isoformat()
    with pytest.raises(ReportError):
        close_day(store, tomorrow)
    with pytest.raises(ReportError):
        x_report(store, "28/11/2026")


def test_z_of_an_empty_day(store):
    z, made = close_day(store)
    assert made and z["sales"] == 0 and z["payments"] == [] and z["vat"] == []


def test_the_till_and_the_server_give_the_same_figures_for_the_same_sales(store, tmp_path):
    # One computation of a day's figures (domain.figures): the till's X report, read
    # from its outbox, and the server's, from its journal, agree on every figure,
    # a meal voucher above the total included (face value, excess apart).
    from appliance.till.outbox import Outbox
    from appliance.till.xreport import report_from_records

    till_id, _ = enrol(store, create_code(store), "caisse 1")
    maker = SaleMaker(till_id)
    recs = [
        maker.sale([BAGUETTE, EXPRESSO], [("cash", 500)], closed_at=_noon()),
        maker.sale([WINE], [("card", 900)], closed_at=_noon()),
        maker.sale([CROISSANTS], [("meal_voucher", 400)], sale_discount=30, closed_at=_noon()),
        maker.sale([WINE, BAGUETTE], [("meal_voucher", 300), ("cash", 1000)], closed_at=_noon()),
        maker.sale([EXPRESSO], [("cheque", 150)], closed_at=_noon()),
    ]
    ingest_batch(store, till_id, recs)
    box = Outbox.open(tmp_path / "till")
    try:
        for r in recs:
            box.append(r)
        day = _noon().date()
        till = report_from_records(box.sales(), day, _noon().tzinfo)
    finally:
        box.close()
    server = x_report(store)
    assert server["voucher_excess"] == 100 == till["voucher_excess"]
    assert (till["count"], till["total"]) == (server["sales"], server["total"]) == (5, 2840)
    assert till["by_method"] == {p["method"]: p["amount"] for p in server["payments"]}
    assert till["by_method"]["meal_voucher"] == 700  # face value: the excess is not change
    assert till["by_method"]["cash"] == 500 - 130 + 1000 - 180  # net of the change
    assert [{k: v[k] for k in ("vat_bp", "gross", "net", "vat")} for v in server["vat"]] == (
        till["by_vat"]
    )
    assert sum(till["by_method"].values()) == till["total"] + till["voucher_excess"]
    (t,) = server["tills"]
    assert (t["first_seq"], t["last_seq"]) == (till["first_seq"], till["last_seq"]) == (1, 5)
