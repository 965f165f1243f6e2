"""A new article made at a till goes on a till page in the same transaction: its
category's page, else the page "Nouveaux" (made once, at the end); the delta carries
the page and the button, and a till applying it shows the article there."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select

from appliance.protocol.deltas import check_delta
from appliance.server.bootstrap import init_data_dir, open_data
from appliance.server.catalogue import create_article, screen_list
from appliance.server.demo import demo_catalogue
from appliance.server.placement import NEW_PAGE
from appliance.server.storage import deltas
from appliance.till.deltas import apply_ops
from appliance.till.snapshot import Catalogue


@pytest.fixture
def store(tmp_path):
    init_data_dir(tmp_path / "srv", catalogue=demo_catalogue())
    _data, s, _ = open_data(tmp_path / "srv")
    yield s
    s.close()


def pages(store) -> list[dict]:
    with store.read() as conn:
        return screen_list(conn)


def last_delta(store) -> dict:
    with store.read() as conn:
        row = conn.execute(select(deltas).order_by(deltas.c.seq.desc()).limit(1)).first()
    return check_delta(orjson.loads(row.body), row.seq)


def till_catalogue(store) -> Catalogue:
    doc = {
        "meta": {"1": {"version": 1, "server_id": "s", "delta_seq": 0}},
        "articles": {}, "barcodes": {}, "cashiers": {},
        "screens": {str(i): p for i, p in enumerate(pages(store), 1)},
    }  # fmt: skip
    return Catalogue.from_document(doc)


def test_an_article_goes_on_its_category_page_after_the_last_button(store):
    before = {p["name"]: p for p in pages(store)}
    till = till_catalogue(store)
    made = create_article(
        store, {"name": "Tarte aux prunes", "price": 420, "vat_bp": 550,
                "category": "patisseries"}, place=True,
    )  # fmt: skip
    page = next(p for p in pages(store) if p["screen_id"] == made["page"])
    assert page["name"] == "Pâtisseries"
    last = page["buttons"][-1]
    assert last["article_id"] == made["article_id"] and last["label"] == "Tarte aux prunes"
    assert len(page["buttons"]) == len(before["Pâtisseries"]["buttons"]) + 1
    assert last["colour"] == before["Pâtisseries"]["buttons"][0]["colour"]
    ops = last_delta(store)["ops"]
    assert [op["op"] for op in ops] == ["article", "button"]
    apply_ops(till, ops)
    shown = next(p for p in till.screens if p["name"] == "Pâtisseries")
    assert shown["buttons"][-1]["article_id"] == made["article_id"]
    assert till.by_id(made["article_id"])["price"] == 420


def test_without_a_page_of_its_own_it_goes_on_the_page_new_made_once(store):
    names = [p["name"] for p in pages(store)]
    till = till_catalogue(store)
    first = create_article(
        store, {"name": "Soupe du jour", "price": 550, "vat_bp": 1000, "category": "soupes"},
        place=True,
    )  # fmt: skip
    ops = last_delta(store)["ops"]
    assert [op["op"] for op in ops] == ["article", "page", "button"]
    second = create_article(
        store, {"name": "Velouté", "price": 600, "vat_bp": 1000, "category": ""}, place=True
    )
    now = pages(store)
    assert [p["name"] for p in now] == [*names, NEW_PAGE]  # one page, at the end
    new = now[-1]
    assert first["page"] == second["page"] == new["screen_id"]
    assert [b["article_id"] for b in new["buttons"]] == [first["article_id"], second["article_id"]]
    apply_ops(till, ops)
    apply_ops(till, last_delta(store)["ops"])
    assert [p["name"] for p in till.screens] == [*names, NEW_PAGE]
    assert [b["label"] for b in till.screens[-1]["buttons"]] == ["Soupe du jour", "Velouté"]


def test_an_article_made_elsewhere_is_placed_only_when_asked(store):
    made = create_article(store, {"name": "Galette", "price": 350, "vat_bp": 550,
                                  "category": "patisseries"})  # fmt: skip
    assert "page" not in made
    assert not any(b["article_id"] == made["article_id"] for p in pages(store)
                   for b in p["buttons"])  # fmt: skip
