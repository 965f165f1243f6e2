"""Take away or eat in, by touch on the sale screen, against the real store server (the
demo store: food at 5.5 % taken away is at 10 % eaten in): each line's VAT follows,
on the screen, in the sale's record and in the server's X report."""

from __future__ import annotations

import pytest

from tests.ui.driver import TillScreen, enrolled_till
from tests.ui.test_manager_by_touch import ring

pytestmark = pytest.mark.timeout(110)


def article_id(till, name: str) -> str:
    return next(a for a, row in till.catalogue.articles.items() if row["name"] == name)


def test_eat_in_moves_each_line_to_its_rate_and_the_record_and_report_follow(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        ring(ui, article_id(till, "Jambon-beurre"))  # 5.5 % taken away
        ring(ui, article_id(till, "Café crème"))  # 10 % either way
        assert [ln["vat_bp"] for ln in ui.ctl.state.sale["lines"]] == [550, 1000]
        assert ui.find("sale:take_away").colour != ui.find("sale:eat_in").colour
        ui.touch("sale:eat_in")
        ui.idle()
        assert ui.ctl.state.sale["eat_in"] is True
        assert [ln["vat_bp"] for ln in ui.ctl.state.sale["lines"]] == [1000, 1000]
        rows = ui.root.screens.get_screen("sale").ticket.data
        assert any("VAT 10% eaten in" in r["detail"] for r in rows)
        ui.touch("sale:pay")
        ui.touch("pay:card")
        record = ui.event("sale_closed")["record"]
        assert record["eat_in"] is True
        assert [v["vat_bp"] for v in record["vat"]] == [1000]
        ui.touch("pay:new_sale")
        # the next sale is taken away again
        assert not ui.ctl.state.sale.get("eat_in")
        ui.until(
            lambda: server.api("GET", "/api/v1/reports/x").json()["sales"] == 1, 20, "uploaded"
        )
        report = server.api("GET", "/api/v1/reports/x").json()
        assert [(v["vat_bp"], v["gross"]) for v in report["vat"]] == [(1000, record["total"])]
        assert report["eat_in"] == 1
    finally:
        ui.close()
