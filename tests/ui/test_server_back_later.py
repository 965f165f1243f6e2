"""After "later" with the server back, by touch against a real server behind a cable:
the banner says what is true, a new article and a kitchen ticket go to the server
(they need it, not the upload), the sales waiting go once when the cashier sends
them; a new article is on its category's page at once (placement.py puts it there;
tests/unit/test_article_placement.py the page "Nouveaux")."""

from __future__ import annotations

import pytest

from testbed.rig import Cable, assert_exactly_once
from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)


def article_id(till, name: str) -> str:
    return next(a for a, row in till.catalogue.articles.items() if row["name"] == name)


@pytest.fixture
def cable(server):
    c = Cable(server)
    yield c
    c.close()


def sell(ui: TillScreen, till, name: str, closed: list) -> None:
    seen = len([e for e in ui.events if e["event"] == "sale_closed"])
    ui.touch(f"product:{article_id(till, name)}")
    ui.event("line_added")
    ui.touch("sale:pay")
    ui.touch("pay:exact")
    ui.until(lambda: len([e for e in ui.events if e["event"] == "sale_closed"]) > seen, 10)
    closed.append([e for e in ui.events if e["event"] == "sale_closed"][-1])
    ui.touch("pay:new_sale")


def new_article(ui: TillScreen, name: str, price: str, category: str) -> dict:
    ui.touch("fn:article")
    ui.until(lambda: ui.has("article:name"), 10, "the form")
    ui.find("article:name").text = name
    ui.find("article:price").text = price
    ui.touch(f"article:category:{category}")
    ui.touch("article:create")
    made = ui.until(
        lambda: next(
            (e for e in ui.events if e["event"] == "article_created" and
             e["article"]["name"] == name), None),
        15,
        f"{name} created",
    )  # fmt: skip
    ui.touch("article:close")
    return made["article"]


def on_screen(ui: TillScreen, aid: str) -> bool:
    """The article's button is on the page shown, inside the window."""
    if not ui.has(f"product:{aid}"):
        return False
    b = ui.find(f"product:{aid}")
    x, y = b.to_window(*b.center)
    scroll = ui.root.sale.grid_scroll
    sx, sy = scroll.to_window(scroll.x, scroll.y)
    return sx <= x <= sx + scroll.width and sy <= y <= sy + scroll.height


def test_after_later_the_server_is_used_for_what_needs_it_and_the_sales_go_once(
    server, cable, tmp_path
):
    till = enrolled_till(server, tmp_path / "till", cable.url, back_probe_s=0.3)
    ui = TillScreen(till, lang="fr")
    closed: list = []
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("m1", "9876")
        sell(ui, till, "Baguette", closed)
        cable.cut()
        ui.until(lambda: ui.has("question:go_autonomous"), 10, "the question")
        ui.touch("answer:yes")
        ui.until(lambda: ui.ctl.state.mode == "AUTONOMOUS", 10, "autonomous")
        sell(ui, till, "Croissant", closed)
        assert ui.find("fn:article").disabled and ui.find("fn:kitchen").disabled
        cable.mend()
        ui.until(lambda: ui.has("question:send_sales"), 15, "the send question")
        ui.touch("answer:later")
        ui.until(lambda: not ui.has("question:send_sales"), 10, "the question closed")
        ui.frames(2)
        banner = ui.text("banner")
        assert "SERVEUR REVENU" in banner and "1 vente attend d'être envoyée" in banner
        assert "injoignable" not in banner
        # the server answers: a new article and a kitchen ticket go to it
        assert not ui.find("fn:article").disabled and not ui.find("fn:kitchen").disabled
        made = new_article(ui, "Tarte aux prunes", "4,20", "patisseries")
        ui.until(lambda: on_screen(ui, made["article_id"]), 10, "the new article on its page")
        page = ui.root.sale.pages[ui.root.sale.page]
        assert page["name"] == "Pâtisseries"
        sell(ui, till, "Tarte aux prunes", closed)
        # a dish of the kitchen's (a category with a printer), then its ticket
        page = next(i for i, p in enumerate(till.catalogue.screens) if p["name"] == "Sur place")
        ui.touch(f"tab:{page}")
        ui.touch(f"product:{till.catalogue.screens[page]['buttons'][0]['article_id']}")
        ui.event("line_added")
        ui.touch("fn:kitchen")
        ui.touch("kitchen:key:7")
        ui.touch("kitchen:send")
        sent = ui.event("kitchen_sent", timeout=20)
        jobs = server.api("GET", "/api/v1/print-jobs").json()
        assert sent["job_id"] in {j["job_id"] for j in jobs}
        ui.touch("sale:pay")
        ui.touch("pay:exact")
        ui.until(lambda: len([e for e in ui.events if e["event"] == "sale_closed"]) == 4, 10)
        closed.append([e for e in ui.events if e["event"] == "sale_closed"][-1])
        ui.touch("pay:new_sale")
        assert ui.ctl.state.mode == "AUTONOMOUS" and ui.ctl.state.pending == 3
        # the sales still wait for the upload: the server has the online one only
        assert [s["seq"] for s in server_sales(server, till)] == [1]
        # the cable cut again: said at once, and the server's functions go off
        cable.cut()
        ui.until(lambda: "injoignable" in ui.text("banner"), 10, "out of reach again")
        assert ui.find("fn:article").disabled and ui.find("fn:kitchen").disabled
        cable.mend()
        ui.until(lambda: "SERVEUR REVENU" in ui.text("banner"), 10, "back again")
        assert "3 ventes attendent d'être envoyées" in ui.text("banner")
        assert not ui.has("question:send_sales")  # "later" was answered: not asked again
        ui.touch("fn:upload")
        ui.event("upload_finished", timeout=30)
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 15, "online again")
        ui.until(lambda: len(server_sales(server, till)) == 4, 15, "the four sales")
        assert_exactly_once(server, till.till_id, closed)
    finally:
        ui.close()


def server_sales(server, till) -> list[dict]:
    from testbed.rig import journal

    return journal(server, till.till_id)
