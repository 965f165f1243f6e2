"""Looking articles up without selling them: the name index (every word, accents and
case folded, at most the limit), the barcode first, the index built again after a
delta changed the articles."""

from __future__ import annotations

from appliance.till.search import NameIndex, fold, price_check
from appliance.till.snapshot import Catalogue


def _cat() -> Catalogue:
    rows = [
        {"article_id": "A1", "name": "Pain de campagne", "price": 250, "barcodes": ["111"]},
        {"article_id": "A2", "name": "Pâté de campagne", "price": 420, "barcodes": ["222"]},
        {"article_id": "A3", "name": "Crème brûlée", "price": 380, "barcodes": []},
        {"article_id": "A4", "name": "Pain au chocolat", "price": 120, "barcodes": ["444"]},
    ]
    cat = Catalogue(1)
    cat.articles = {r["article_id"]: r for r in rows}
    cat.barcodes = {c: r for r in rows for c in r["barcodes"]}
    return cat


def test_fold_drops_case_accents_and_double_spaces():
    assert fold("  Pâté   CRÈME\tbrûlée ") == "pate creme brulee"


def test_every_word_must_be_in_the_name():
    cat = _cat()
    assert [r["article_id"] for r in cat.search("campagne")] == ["A1", "A2"]
    assert [r["article_id"] for r in cat.search("CAMP pate")] == ["A2"]
    assert [r["article_id"] for r in cat.search("creme brulee")] == ["A3"]
    assert [r["article_id"] for r in cat.search("pain")] == ["A1", "A4"]
    assert cat.search("pain brioche") == [] and cat.search("   ") == []


def test_at_most_the_limit_and_each_article_once():
    index = NameIndex({"article_id": f"G{i}", "name": f"pomme pomme {i}"} for i in range(500))
    found = index.search("pomme", limit=30)
    assert [r["article_id"] for r in found] == [f"G{i}" for i in range(30)]
    assert [r["article_id"] for r in index.search("pomme 499")] == ["G499"]


def test_a_barcode_first_then_the_name():
    cat = _cat()
    assert price_check(cat, "222") == {
        "query": "222",
        "by": "barcode",
        "articles": [{"article_id": "A2", "name": "Pâté de campagne", "price": 420,
                      "vat_bp": None, "category": None, "barcodes": ["222"]}],
    }  # fmt: skip
    checked = price_check(cat, "chocolat")
    assert checked["by"] == "name" and [a["price"] for a in checked["articles"]] == [120]
    assert price_check(None, "x")["articles"] == []


def test_the_index_follows_a_delta():
    cat = _cat()
    assert cat.search("brioche") == []
    cat.articles["A5"] = {"article_id": "A5", "name": "Brioche", "price": 300}
    cat.delta_seq += 1
    assert [r["article_id"] for r in cat.search("brioche")] == ["A5"]
    cat.articles["A1"] = {**cat.articles["A1"], "name": "Pain de seigle"}
    cat.delta_seq += 1
    assert [r["article_id"] for r in cat.search("seigle")] == ["A1"]
