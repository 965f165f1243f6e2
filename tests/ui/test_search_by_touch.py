"""The price check by touch, on the real screens against a real server: an article
found by a word of its name (accents and case aside) and by its barcode, its price
shown, nothing sold until its "Sell" is touched; a word no name holds said so."""

from __future__ import annotations

import pytest

from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)

BEER = "A139"  # Bière pression 25 cl, 3.50


def _after(ui: TillScreen, name: str, start: int, timeout: float = 15, **fields) -> dict:
    def seen():
        return next(
            (e for e in ui.events[start:] if e.get("event") == name
             and all(e.get(k) == v for k, v in fields.items())),
            None,
        )  # fmt: skip

    return ui.until(seen, timeout, f"event {name}")


def _search(ui: TillScreen, text: str) -> dict:
    n = len(ui.events)
    ui.find("search:input").text = text
    found = _after(ui, "price_check", n, query=text)
    ui.idle()
    return found


def test_a_price_checked_by_name_and_by_barcode_then_sold(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr")
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        ui.touch("fn:search")
        ui.until(lambda: "search" in ui.dialogs(), 10, "the price check")
        found = _search(ui, "BIERE pres")
        assert BEER in [a["article_id"] for a in found["articles"]]
        assert ui.text(f"found_price:{BEER}") == "3,50 €"
        assert ui.ctl.state.sale["lines"] == []  # looked at, not sold
        code = till.catalogue.by_id(BEER)["barcodes"][0]
        by_code = _search(ui, code)
        assert by_code["by"] == "barcode" and [a["article_id"] for a in by_code["articles"]] == [
            BEER
        ]
        _search(ui, "zzzquux")
        assert ui.text("search:info") == "Aucun article ne correspond."
        _search(ui, "bière")
        ui.screenshot(tmp_path / "search.png")
        n = len(ui.events)
        ui.touch(f"found_add:{BEER}")
        added = _after(ui, "line_added", n)
        assert added["line"]["article_id"] == BEER
        assert "search" not in ui.dialogs()
    finally:
        ui.close()
