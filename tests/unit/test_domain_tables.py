"""The restaurant's tables as the domain models them: floor plan, modifiers, rounds,
courses, moves, merges, splits, and a part paid as a sale in the hash chain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from appliance.domain import GENESIS, Payment, close_sale, verify_chain, verify_record
from appliance.domain.tables import (
    FloorPlan,
    Tab,
    TableError,
    equal_shares,
    modifiers_from_rows,
)

STEAK = {"article_id": "steak", "name": "Steak frites", "price": 1850, "vat_bp": 1000,
         "category": "plats"}  # fmt: skip
SALAD = {"article_id": "salad", "name": "Salade", "price": 900, "vat_bp": 1000,
         "category": "entrees"}  # fmt: skip
BEER = {"article_id": "beer", "name": "Bière", "price": 550, "vat_bp": 2000, "category": "bar"}
MODS = modifiers_from_rows(
    [
        {"modifier_id": "rare", "kind": "cooking", "name": "Saignant", "categories": ["plats"]},
        {"modifier_id": "no-onion", "kind": "without", "name": "Sans oignons"},
        {"modifier_id": "cheese", "kind": "extra", "name": "Fromage", "price": 150},
    ]
)
PLAN = {
    "rooms": [{"room_id": "salle", "name": "Salle"}, {"room_id": "terrasse", "name": "Terrasse"}],
    "tables": [
        {"table_id": "T1", "name": "1", "room_id": "salle", "shape": "round", "x": 5, "y": 5},
        {"table_id": "T2", "name": "2", "room_id": "salle", "x": 30, "y": 5, "seats": 6},
        {"table_id": "P1", "name": "P1", "room_id": "terrasse", "shape": "rect", "w": 20},
    ],
}


def _tab(covers: int = 2) -> Tab:
    return Tab.open("T1", covers, "2026-12-03T12:00:00+00:00")


def _close(sale, seq: int = 1, prev: str = GENESIS) -> dict:
    return close_sale(
        sale, sale_id=f"s{seq}", till_id=1, seq=seq, prev_hash=prev,
        closed_at=datetime(2026, 12, 3, 13, 0, tzinfo=UTC), cashier_id="1",
        mode="online", snapshot_version=1,
    )  # fmt: skip


def test_floor_plan_reads_rooms_and_tables_and_names_each_fault():
    plan = FloorPlan.from_dict(PLAN)
    assert [r.room_id for r in plan.rooms] == ["salle", "terrasse"]
    assert [t.table_id for t in plan.in_room("salle")] == ["T1", "T2"]
    assert plan.table("P1").shape == "rect" and plan.table("T2").seats == 6
    assert FloorPlan.from_dict(plan.as_dict()) == plan
    bad = [
        ({"rooms": [], "tables": [{"table_id": "T1", "room_id": "x"}]}, "no room"),
        ({"rooms": [{"room_id": "a"}], "tables": [{"table_id": "T 1", "room_id": "a"}]}, "T 1"),
        (
            {
                "rooms": [{"room_id": "a"}],
                "tables": [{"table_id": "T", "room_id": "a", "shape": "star"}],
            },
            "shape",
        ),  # fmt: skip
        (
            {
                "rooms": [{"room_id": "a"}],
                "tables": [{"table_id": "T", "room_id": "a", "x": 95, "w": 10}],
            },
            "beyond",
        ),  # fmt: skip
        ({"rooms": [{"room_id": "a"}, {"room_id": "a"}]}, "same room_id"),
    ]
    for doc, said in bad:
        with pytest.raises(TableError, match=said) as e:
            FloorPlan.from_dict(doc)
        assert e.value.code == "bad_floor_plan"
    with pytest.raises(TableError, match="no table T9"):
        plan.table("T9")


def test_modifiers_are_checked():
    assert MODS["cheese"].price == 150 and MODS["rare"].applies_to("plats")
    assert not MODS["rare"].applies_to("bar")
    for row, said in [
        ({"modifier_id": "x", "kind": "cooking", "name": "À point", "price": 10}, "only an extra"),
        ({"modifier_id": "x", "kind": "spicy", "name": "Hot"}, "kind"),
        ({"modifier_id": "x", "kind": "extra", "name": ""}, "no name"),
    ]:
        with pytest.raises(TableError, match=said):
            modifiers_from_rows([row])


def test_rounds_send_the_starters_and_drinks_first_and_the_mains_later():
    tab = _tab()
    tab.add(BEER, 2)
    salad = tab.add(SALAD, course=1)
    steak = tab.add(STEAK, course=2, modifiers=[MODS["rare"], MODS["cheese"]], note="sauce à part")
    number, lines = tab.send(course=1)
    assert number == 1 and {ln.article_id for ln in lines} == {"beer", "salad"}
    assert steak.sent_round is None and salad.sent_round == 1
    with pytest.raises(TableError, match="nothing new") as e:
        tab.send(course=1)
    assert e.value.code == "nothing_to_send"
    number, lines = tab.send(course=2)
    assert number == 2 and lines == [steak]
    k = steak.kitchen_line()
    assert k["course"] == "main" and k["modifiers"] == ["Saignant", "Fromage"]
    assert k["note"] == "sauce à part"
    assert tab.round_lines(1) == [tab.lines[0], salad]
    with pytest.raises(TableError) as e:
        tab.void(steak.line_id)
    assert e.value.code == "line_sent"
    with pytest.raises(TableError, match="not offered"):
        tab.add(BEER, modifiers=[MODS["rare"]])


def test_an_extra_is_priced_and_becomes_a_line_of_the_sale():
    tab = _tab()
    tab.add(STEAK, 2, modifiers=[MODS["cheese"], MODS["no-onion"]])
    assert tab.total == (1850 + 150) * 2
    sale = tab.part_sale()
    assert [(ln.article_id, ln.unit_price, ln.quantity) for ln in sale.lines] == [
        ("steak", 1850, 2),
        ("extra:cheese", 150, 2),
    ]
    assert sale.total == tab.total


def test_move_and_merge():
    a, b = _tab(2), Tab.open("T2", 3, "2026-12-03T12:05:00+00:00")
    a.add(BEER)
    b.add(SALAD, course=1)
    b.send()
    a.move_to("T3")
    assert a.table_id == "T3"
    a.merge(b)
    assert a.covers == 5 and {ln.article_id for ln in a.lines} == {"beer", "salad"}
    assert b.closed and b.lines == []
    with pytest.raises(TableError) as e:
        b.add(BEER)
    assert e.value.code == "table_closed"
    with pytest.raises(TableError, match="itself"):
        a.merge(Tab.from_dict(a.as_dict()))


def test_split_by_item_pays_each_guest_with_a_sale_in_the_chain_and_closes_once():
    tab = _tab(2)
    beers = tab.add(BEER, 2)
    tab.add(STEAK)
    salad = tab.add(SALAD)
    half = tab.assign(beers.line_id, 1, quantity=1)
    tab.assign(beers.line_id, 2)
    tab.assign(tab.lines[-2].line_id, 1)  # the steak
    tab.assign(salad.line_id, 2)
    assert half.quantity == 1 and beers.quantity == 1
    assert tab.guests() == [1, 2]
    s1 = tab.part_sale(1)
    assert s1.total == 550 + 1850
    s1.add_payment(Payment("card", s1.total))
    r1 = _close(s1)
    assert r1["table"]["part"] == "guest-1" and r1["table"]["opening"] == tab.opening
    assert verify_record(r1)
    tab.paid_with(r1)
    tab.paid_with(r1)  # the same record again: nothing moves
    assert tab.paid == ["s1"] and not tab.closed and tab.due == 550 + 900
    with pytest.raises(TableError) as e:
        tab.add(BEER)
    assert e.value.code == "payment_started"
    s2 = tab.part_sale(2)
    s2.add_payment(Payment("cash", 2000))
    r2 = _close(s2, 2, r1["hash"])
    tab.paid_with(r2)
    assert tab.closed and tab.due == 0
    assert verify_chain([r1, r2]) == []
    with pytest.raises(TableError) as e:
        tab.part_sale()
    assert e.value.code == "table_closed"
    with pytest.raises(TableError) as e:
        tab.close_empty()
    assert e.value.code == "table_closed"


def test_equal_shares_add_up_and_are_paid_as_one_bill():
    assert equal_shares(1000, 3) == [334, 333, 333]
    assert sum(equal_shares(12345, 7)) == 12345
    with pytest.raises(TableError):
        equal_shares(100, 0)
    tab = _tab(3)
    tab.add(STEAK)
    tab.add(BEER, 3)
    shares = tab.split_equally(3)
    assert sum(shares) == tab.total
    sale = tab.part_sale()
    for amount in shares:
        sale.add_payment(Payment("card", amount))
    assert sale.is_paid and sale.change == 0
    rec = _close(sale)
    assert rec["table"]["shares"] == 3 and len(rec["payments"]) == 3
    tab.paid_with(rec)
    assert tab.closed


def test_a_record_without_a_table_still_hashes_as_before():
    from appliance.domain import Line, Sale

    sale = Sale()
    sale.add_line(Line("beer", "Bière", 550, 1, 2000))
    sale.add_payment(Payment("cash", 550))
    rec = _close(sale)
    assert "table" not in rec and verify_record(rec)


def test_a_tab_survives_its_dict_and_refuses_bad_covers():
    tab = _tab()
    tab.add(STEAK, modifiers=[MODS["rare"]], course=2, note="bien cuit")
    again = Tab.from_dict(tab.as_dict())
    assert again == tab
    for covers in (0, 100, "2", True):
        with pytest.raises(TableError) as e:
            Tab.open("T1", covers, "x")  # type: ignore[arg-type]
        assert e.value.code == "bad_covers"
    with pytest.raises(TableError):
        Tab.from_dict({"table_id": "T1"})
