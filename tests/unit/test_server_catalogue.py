"""The demo bakery-café, the big generator, CSV import and article creation."""

from __future__ import annotations

from collections import Counter

import pytest

from appliance.server.bootstrap import init_data_dir, open_data
from appliance.server.catalogue import (
    CatalogueError,
    article_by_barcode,
    article_by_id,
    catalogue_counts,
    create_article,
    ean13_check_digit,
    valid_ean13,
)
from appliance.server.csv_import import CsvImportError, import_articles
from appliance.server.demo import demo_catalogue, generate_catalogue


def test_ean13_check_digit():
    assert ean13_check_digit("400638133393") == "1"  # a published example
    assert valid_ean13("4006381333931")
    assert not valid_ean13("4006381333932")
    assert not valid_ean13("400638133393")


def test_the_demo_is_a_bakery_cafe_with_valid_barcodes():
    demo = demo_catalogue()
    assert 140 <= len(demo.articles) <= 160
    assert all(valid_ean13(b["code"]) for b in demo.barcodes)
    assert len({b["code"] for b in demo.barcodes}) == len(demo.barcodes)
    per_article = Counter(b["article_id"] for b in demo.barcodes)
    assert set(per_article.values()) == {1, 2}
    vat = {a["category"]: a["vat_bp"] for a in demo.articles}
    assert vat["pains"] == vat["viennoiseries"] == vat["patisseries"] == 550
    assert vat["boissons-chaudes"] == vat["cuisine"] == 1000
    assert vat["alcools"] == 2000
    assert sorted(c["role"] for c in demo.cashiers) == ["cashier", "cashier", "manager"]
    assert {p["kind"] for p in demo.printers} == {"kitchen", "bar"}
    assert all(p["address"].rsplit(":", 1)[1].isdigit() for p in demo.printers)
    assert len(demo.screens) == 1 + len({a["category"] for a in demo.articles})
    ids = {a["id"] for a in demo.articles}
    assert all(b["article_id"] in ids for s in demo.screens for b in s["buttons"])


def test_the_generator_is_deterministic_with_unique_valid_codes():
    a, b, c = (
        generate_catalogue(3000, seed=7),
        generate_catalogue(3000, seed=7),
        generate_catalogue(3000, seed=8),
    )
    codes = [x["code"] for x in a.barcodes]
    assert codes == [x["code"] for x in b.barcodes]
    assert codes != [x["code"] for x in c.barcodes]
    assert len(set(codes)) == len(codes) > 3000
    assert all(valid_ean13(x) for x in codes)
    assert len(a.articles) == 3000


@pytest.fixture
def store(tmp_path):
    init_data_dir(tmp_path / "srv", catalogue=demo_catalogue())
    _data, s, _ = open_data(tmp_path / "srv")
    yield s
    s.close()


def test_lookups(store):
    baguette = article_by_id(store, "A001")
    assert baguette["name"] == "Baguette" and baguette["price"] == 110
    assert article_by_barcode(store, baguette["barcodes"][0]) == baguette
    assert article_by_barcode(store, "0000000000000") is None
    assert article_by_id(store, "nope") is None


def test_create_article(store):
    made = create_article(
        store, {"name": "Galette", "price": 350, "vat_bp": 550, "category": "new",
                "barcodes": ["2000000000015"]}
    )  # fmt: skip
    assert made["article_id"] and article_by_barcode(store, "2000000000015")["name"] == "Galette"
    with pytest.raises(CatalogueError) as taken:
        create_article(
            store, {"name": "X", "price": 1, "vat_bp": 550, "barcodes": ["2000000000015"]}
        )
    assert taken.value.code == "barcode_taken"
    with pytest.raises(CatalogueError) as exists:
        create_article(store, {"article_id": "A001", "name": "X", "price": 1, "vat_bp": 550})
    assert exists.value.code == "article_exists"
    with pytest.raises(CatalogueError) as rate:
        create_article(store, {"name": "X", "price": 1, "vat_bp": 700})
    assert (rate.value.code, rate.value.status) == ("unknown_vat_rate", 422)


GOOD = """article_id,name,price,vat,category,barcodes
A001,Baguette (nouvelle recette),"1,20",5.5,pains,3760123000017|2999999999995
Z1,Chouquettes x20,4.50,"5,5 %",viennoiseries,
Z2,Bière blanche,"5,00",20,bieres,2888888888886
"""


def test_csv_import_creates_and_updates(store, tmp_path):
    before = catalogue_counts(store)
    path = tmp_path / "a.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert import_articles(store, path) == {"created": 2, "updated": 1, "barcodes": 3}
    a1 = article_by_id(store, "A001")
    assert (a1["name"], a1["price"], a1["vat_bp"]) == ("Baguette (nouvelle recette)", 120, 550)
    assert a1["barcodes"] == ["2999999999995", "3760123000017"]
    assert article_by_id(store, "Z1")["price"] == 450
    assert article_by_barcode(store, "2888888888886")["vat_bp"] == 2000
    after = catalogue_counts(store)
    assert after["articles"] == before["articles"] + 2
    assert after["categories"] == before["categories"] + 1


def test_csv_with_semicolons_and_vat_bp(store, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("article_id;name;price;vat_bp;category;barcodes\nQ1;Café;1,50;1000;x;\n")
    assert import_articles(store, path)["created"] == 1
    assert article_by_id(store, "Q1")["price"] == 150


@pytest.mark.parametrize(
    "row, line, words",
    [
        ("Z3,Tarte,abc,5.5,patisseries,", 3, "not an amount"),
        ("Z3,Tarte,1.00,7,patisseries,", 3, "not a rate"),
        ("Z3,,1.00,5.5,patisseries,", 3, "name is empty"),
        ("Z1,Tarte,1.00,5.5,patisseries,", 3, "already on line 2"),
        ("Z3,Tarte,1.00,5.5,patisseries,3760123000024", 3, "already belongs to A002"),
        ("Z3,Tarte,1.00,5.5,patisseries,2111111111116|2111111111116", 3, "already on line 3"),
    ],
)
def test_a_bad_row_imports_nothing_and_says_its_line(store, tmp_path, row, line, words):
    before = catalogue_counts(store)
    path = tmp_path / "bad.csv"
    path.write_text(
        "article_id,name,price,vat,category,barcodes\nZ1,Pain,1.00,5.5,pains,2777777777771\n"
        + row + "\n"
    )  # fmt: skip
    with pytest.raises(CsvImportError) as err:
        import_articles(store, path)
    assert err.value.line == line and f"line {line}" in str(err.value)
    assert words in str(err.value)
    assert catalogue_counts(store) == before
    assert article_by_id(store, "Z1") is None


def test_csv_missing_columns(store, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,name\n1,x\n")
    with pytest.raises(CsvImportError, match="missing column"):
        import_articles(store, path)
