"""The wire models accept what the domain makes and refuse what does not add up."""

from __future__ import annotations

import copy
import typing

import pytest
from pydantic import ValidationError

from appliance.domain import PAYMENT_METHODS
from appliance.protocol import MAX_BATCH, MAX_BODY, SERVICE_TYPE, ArticleIn, SaleRecord
from appliance.protocol.models import PaymentMethod
from appliance.server.samples import SaleMaker


def test_constants():
    assert SERVICE_TYPE == "_autonome._tcp.local."
    assert MAX_BODY == 8 * 1024 * 1024 and MAX_BATCH == 2000


def test_payment_methods_match_the_domain():
    assert set(typing.get_args(PaymentMethod)) == set(PAYMENT_METHODS)


def test_a_domain_record_is_valid():
    maker = SaleMaker(3)
    for _ in range(50):
        rec = maker.sale()
        assert SaleRecord.model_validate(rec).sale_id == rec["sale_id"]


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.update(total=r["total"] + 1),
        lambda r: r.update(change=r["change"] + 1),
        lambda r: r.update(seq=0),
        lambda r: r.update(seq=True),
        lambda r: r.update(closed_at="2026-11-28T10:00:00"),  # no time zone
        lambda r: r.update(hash="XYZ"),
        lambda r: r.update(lines=[]),
        lambda r: r["payments"][0].update(method="bitcoin"),
        lambda r: r["lines"][0].update(quantity=1.5),
        lambda r: r["vat"][0].update(vat=r["vat"][0]["vat"] + 1),
        lambda r: r.pop("prev_hash"),
    ],
)
def test_records_that_do_not_add_up_are_refused(change):
    rec = copy.deepcopy(SaleMaker(1).sale())
    change(rec)
    with pytest.raises(ValidationError):
        SaleRecord.model_validate(rec)


def test_article_in():
    assert ArticleIn.model_validate({"name": " Pain ", "price": 100, "vat_bp": 550}).name == "Pain"
    with pytest.raises(ValidationError):
        ArticleIn.model_validate({"name": "x", "price": -1, "vat_bp": 550})
    with pytest.raises(ValidationError):
        ArticleIn.model_validate({"name": "x", "price": 1, "vat_bp": 550, "colour": "red"})
