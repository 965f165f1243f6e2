"""The headless console's commands checked by their models: what was accepted still
is; a missing, mistyped or unknown argument is a bad_argument naming the field."""

from __future__ import annotations

import pytest

from appliance.till.commands import ARGUMENTS, CommandError, parse_arguments
from appliance.till.headless import COMMANDS


def test_every_command_has_its_arguments_model():
    assert set(COMMANDS) == set(ARGUMENTS)


@pytest.mark.parametrize(
    ("cmd", "args", "seen"),
    [
        ("login", {"cashier": "c1", "pin": 1234}, {"cashier": "c1", "pin": 1234}),
        ("scan", {"code": "376"}, {"code": "376", "quantity": 1, "request": None}),
        ("scan", {"code": "376", "quantity": None}, {"code": "376", "quantity": 1,
                                                     "request": None}),
        ("scan", {"code": "376", "request": "pos-1"}, {"code": "376", "quantity": 1,
                                                       "request": "pos-1"}),
        ("discount", {"percent": 12.5}, {"manager": None, "manager_pin": None, "line": None,
                                         "cents": None, "percent": 12.5}),
        ("void", {"line": 0, "manager": "m1", "manager_pin": 9876},
         {"manager": "m1", "manager_pin": 9876, "line": 0}),
        ("cancel", {}, {"manager": None, "manager_pin": None}),
        ("remove_payment", {"index": 0}, {"index": 0}),
        ("eat_in", {"on": True}, {"on": True}),
        ("card_answer", {"accepted": False}, {"accepted": False}),
        ("pay", {"method": "cash"}, {"method": "cash", "amount": None, "payments": None}),
        ("answer", {"answer": "yes"}, {"question": None, "answer": "yes"}),
        ("kitchen", {"table": 12}, {"table": 12, "covers": None, "note": None, "lines": None,
                                    "name": None, "reprint": None}),
        ("kitchen", {"name": "Dupont", "reprint": True},
         {"table": None, "covers": None, "note": None, "lines": None, "name": "Dupont",
          "reprint": True}),
        ("create_article", {"name": "Tarte", "price": 300}, {"article": {"name": "Tarte",
                                                                         "price": 300}}),
        ("status", {"cmd": "status"}, {}),
    ],
)  # fmt: skip
def test_what_is_accepted(cmd, args, seen):
    assert parse_arguments(cmd, args).model_dump() == seen


@pytest.mark.parametrize(
    ("cmd", "args", "field", "said"),
    [
        ("scan", {}, "code", "missing argument 'code'"),
        ("scan", {"code": 12}, "code", "'code' has the wrong type: must be a text, not 12"),
        ("scan", {"code": "1", "qty": 2}, "qty", "unknown argument 'qty': scan takes code"),
        ("qty", {"line": True, "quantity": 2}, "line", "must be a whole number, not True"),
        ("status", {"verbose": True}, "verbose", "status takes no argument"),
        ("pay", {"amount": 100}, "", "missing argument 'method' (or 'payments')"),
        ("pay", {"payments": "all"}, "payments", "must be a list"),
        ("pay", {"payments": [{"method": "cash", "amount": 1.5}]}, "payments.0.amount", "whole"),
        ("create_article", {"article": [1]}, "article", "must be an object"),
        ("discount", {"percent": "10"}, "percent", "wrong type"),
    ],
)
def test_mistakes_name_the_field(cmd, args, field, said):
    with pytest.raises(CommandError) as e:
        parse_arguments(cmd, args)
    assert e.value.code == "bad_argument"
    assert (e.value.field or "") == field
    assert e.value.message.startswith(f"{cmd}: ") and said in e.value.message


def test_a_misspelt_argument_is_named_before_the_one_it_leaves_missing():
    with pytest.raises(CommandError) as e:
        parse_arguments("scan", {"cod": "376"})
    assert e.value.field == "cod" and "unknown argument 'cod'" in e.value.message
