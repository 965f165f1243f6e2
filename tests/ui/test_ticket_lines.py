"""The ticket by touch: an article touched again goes on its line (quantity added), a
line priced by hand stays a line of its own, and the chosen line stays chosen while
articles are added."""

from __future__ import annotations

import pytest

from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)


def article_id(till, name: str) -> str:
    return next(a for a, row in till.catalogue.articles.items() if row["name"] == name)


def row(ui: TillScreen, index: int):
    from appliance.ui.widgets import TicketRow

    ticket = ui.root.sale.ticket
    return next(
        w for w in ticket.walk(restrict=True)
        if isinstance(w, TicketRow) and w.line_index == index
    )  # fmt: skip


def touch_row(ui: TillScreen, index: int) -> None:
    from kivy.tests.common import UnitTestTouch

    w = row(ui, index)
    x, y = w.to_window(*w.center)
    t = UnitTestTouch(x, y)
    t.touch_down()
    ui.frames(1)
    t.touch_up()
    ui.frames(2)


def lines(ui: TillScreen) -> list[tuple[str, int]]:
    return [(ln["name"], ln["quantity"]) for ln in ui.ctl.state.sale["lines"]]


def test_like_articles_share_a_line_and_the_chosen_line_stays_chosen(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr")
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        baguette, croissant = article_id(till, "Baguette"), article_id(till, "Croissant")
        page = next(
            i for i, p in enumerate(till.catalogue.screens)
            if {b["article_id"] for b in p["buttons"]} >= {baguette, croissant}
        )  # fmt: skip
        ui.touch(f"tab:{page}")
        for _ in range(3):
            ui.touch(f"product:{baguette}")
            ui.idle()
        assert lines(ui) == [("Baguette", 3)]
        assert row(ui, 0).qty == "3 ×"
        ui.touch(f"product:{croissant}")
        ui.idle()
        touch_row(ui, 0)  # the baguettes chosen
        assert ui.ctl.state.selected == 0 and row(ui, 0).selected
        ui.touch(f"product:{croissant}")
        ui.idle()
        assert lines(ui) == [("Baguette", 3), ("Croissant", 2)]
        assert ui.ctl.state.selected == 0 and row(ui, 0).selected  # still chosen
        ui.type("key", "2")
        ui.touch("key:quantity")  # acts on the chosen line
        ui.idle()
        assert lines(ui) == [("Baguette", 2), ("Croissant", 2)]
        # a price typed by hand (weighed, a label that differs): its own line
        touch_row(ui, 1)
        ui.type("key", "1,5")
        ui.touch("key:price")
        ui.idle()
        ui.touch(f"product:{croissant}")
        ui.idle()
        assert lines(ui) == [("Baguette", 2), ("Croissant", 2), ("Croissant", 1)]
        assert [ln["unit_price"] for ln in ui.ctl.state.sale["lines"]][1:] == [150, 110]
        ui.touch("sale:pay")
        ui.touch("pay:exact")
        closed = ui.event("sale_closed")
        assert [ln["quantity"] for ln in closed["record"]["lines"]] == [2, 2, 1]
        assert closed["total"] == 2 * 110 + 2 * 150 + 110
    finally:
        ui.close()
