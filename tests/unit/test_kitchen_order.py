"""Which lines of a sale a kitchen order carries (till/kitchen_order.py): what the
kitchen does not have yet, or for a reprint what it has; the lines no kitchen or
bar printer takes; what the store wants named on it."""

from __future__ import annotations

from appliance.domain import Line
from appliance.till.kitchen_order import missing_on_order, order_lines, routed

PRINTERS = [
    {"printer_id": "cuisine", "categories": ["cuisine"]},
    {"printer_id": "bar", "categories": ["boissons-chaudes"]},
]


def _line(name: str, category: str, quantity: int = 1, sent: int = 0) -> Line:
    line = Line("A1", name, 100, quantity, 1000, category)
    line.kitchen_sent = sent
    return line


def test_only_what_the_kitchen_does_not_have_goes_and_a_reprint_takes_what_it_has():
    lines = [_line("Café crème", "boissons-chaudes", 3, sent=2), _line("Plat", "cuisine", 1, 1),
             _line("Soupe", "cuisine", 2)]  # fmt: skip
    assert [(ln["name"], ln["quantity"]) for _l, ln in order_lines(lines)] == [
        ("Café crème", 1),
        ("Soupe", 2),
    ]
    assert [(ln["name"], ln["quantity"]) for _l, ln in order_lines(lines, reprint=True)] == [
        ("Café crème", 2),
        ("Plat", 1),
    ]
    # a quantity lowered below what was sent sends nothing more
    assert order_lines([_line("Plat", "cuisine", 1, sent=2)]) == []
    # the record of the sale does not carry it
    assert "kitchen_sent" not in lines[0].as_dict()


def test_the_lines_no_printer_takes_are_left_out_unless_the_snapshot_has_none():
    sandwich, coffee = _line("Jambon-beurre", "sandwichs"), _line("Café crème", "boissons-chaudes")
    order = order_lines([sandwich, coffee])
    takes, left = routed(order, PRINTERS)
    assert [ln["name"] for _l, ln in takes] == ["Café crème"]
    assert [ln["name"] for _l, ln in left] == ["Jambon-beurre"]
    assert routed(order, []) == (order, [])


def test_a_store_setting_wants_a_table_a_name_or_either():
    assert missing_on_order({}, None, "") is None
    assert missing_on_order({"kitchen_order": "table"}, "", "Dupont") == "table_needed"
    assert missing_on_order({"kitchen_order": "table"}, "12", "") is None
    assert missing_on_order({"kitchen_order": "name"}, "12", " ") == "name_needed"
    assert missing_on_order({"kitchen_order": "table_or_name"}, None, "") == "table_or_name_needed"
    assert missing_on_order({"kitchen_order": "table_or_name"}, None, "Dupont") is None
