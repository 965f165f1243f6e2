"""The manager's rules of a sale (thresholds needing a manager's PIN) and the
wrong-PIN lockout, as pure domain rules."""

from __future__ import annotations

import pytest

from appliance.domain.approval import (
    Rules,
    RulesError,
    approval,
    cancel_needs_approval,
    discount_needs_approval,
    find_manager,
    price_needs_approval,
    rules_from,
    void_needs_approval,
)
from appliance.domain.cashier import hash_pin
from appliance.domain.pinlock import PinLock


def test_no_threshold_set_never_asks_but_a_paid_cancel_does():
    r = Rules()
    assert not discount_needs_approval(r, 1000, 1000)
    assert not price_needs_approval(r, 1000, 0)
    assert not void_needs_approval(r, 10**6)
    assert not cancel_needs_approval(r, 10**6, 0)
    assert cancel_needs_approval(r, 500, 100)


def test_discount_thresholds_in_percent_and_in_amount():
    r = rules_from({"discount_percent": 10, "discount_cents": 500})
    assert not discount_needs_approval(r, 1000, 100)  # exactly 10 %
    assert discount_needs_approval(r, 1000, 101)
    assert not discount_needs_approval(r, 10_000, 500)  # 5 %, 5,00 €
    assert discount_needs_approval(r, 10_000, 501)  # above the amount
    assert not discount_needs_approval(r, 1000, 0)


def test_price_void_and_cancel_thresholds():
    r = rules_from({"price_cut_cents": 200, "void_cents": 1000, "cancel_cents": 3000})
    assert not price_needs_approval(r, 1000, 800)
    assert price_needs_approval(r, 1000, 799)
    assert not price_needs_approval(r, 1000, 5000)  # raising a price never asks
    assert not void_needs_approval(r, 1000) and void_needs_approval(r, 1001)
    assert not cancel_needs_approval(r, 3000, 0) and cancel_needs_approval(r, 3001, 0)


@pytest.mark.parametrize(
    "raw, word",
    [
        ({"discount_precent": 10}, "discount_precent"),
        ({"discount_percent": 150}, "discount_percent"),
        ({"void_cents": -1}, "void_cents"),
        ({"void_cents": "10"}, "void_cents"),
        ({"pin_tries": 0}, "pin_tries"),
        ({"pin_tries": None}, "pin_tries"),
        ({"pin_only_login": "yes"}, "pin_only_login"),
        ([1, 2], "object"),
    ],
)
def test_a_bad_setting_is_named(raw, word):
    with pytest.raises(RulesError, match=word):
        rules_from(raw)


def test_only_a_manager_pin_approves_and_the_approval_says_who():
    cashiers = {
        "c1": {"role": "cashier", "pin_hash": hash_pin("1234", iterations=1000)},
        "m1": {"role": "manager", "pin_hash": hash_pin("9876", iterations=1000)},
        "m2": {"role": "manager", "pin_hash": hash_pin("5555", iterations=1000)},
    }
    assert find_manager(cashiers, "9876") == "m1"
    assert find_manager(cashiers, "5555") == "m2"
    assert find_manager(cashiers, "1234") is None  # a cashier's PIN
    assert find_manager(cashiers, "0000") is None
    a = approval("void", "m1", "c1", "2026-12-03T12:00:00+01:00", line=2, amount=1500)
    assert a == {
        "action": "void", "manager_id": "m1", "cashier_id": "c1",
        "at": "2026-12-03T12:00:00+01:00", "line": 2, "amount": 1500,
    }  # fmt: skip
    with pytest.raises(RulesError):
        approval("refund", "m1", "c1", "2026-12-03T12:00:00+01:00")


def test_wrong_pins_lock_for_a_growing_wait_and_a_right_one_starts_over():
    lock = PinLock()
    now = 1000.0
    for _ in range(4):
        assert lock.failed(now, tries=5, lock_s=30) == 0
        assert lock.wait(now) == 0
    assert lock.failed(now, tries=5, lock_s=30) == 30
    assert lock.wait(now + 10) == 20
    assert lock.failed(now + 31, tries=5, lock_s=30) == 60  # doubled
    assert lock.failed(now + 100, tries=5, lock_s=30) == 120
    # what a file keeps comes back the same after a restart
    again = PinLock.from_dict(lock.as_dict())
    assert again == lock and again.wait(now + 100) == 120
    lock.succeeded()
    assert lock.wait(now) == 0 and lock.failures == 0


@pytest.mark.parametrize(
    "raw", [None, [], {"failures": "x"}, {"failures": -1, "locked_until": True}]
)
def test_an_unreadable_lock_state_starts_from_zero(raw):
    assert PinLock.from_dict(raw) == PinLock()
