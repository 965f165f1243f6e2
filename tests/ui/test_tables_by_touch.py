"""A restaurant's tables by touch, on the real screens against a real server: the floor
plan, a table opened with its covers, a dish with its course and modifiers, the
round sent to the kitchen, the bill paid and the table free again; a take-over of
a table another till is paying refused in the cashier's language."""

from __future__ import annotations

import httpx
import pytest

from appliance.domain.tables import Tab
from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)

DISH = "A104"  # Plat du jour, 12.50, the kitchen's
BEER = "A139"  # Bière pression 25 cl, 3.50


def _after(ui: TillScreen, name: str, start: int, timeout: float = 15) -> dict:
    """The first event `name` handled since `ui.events[start]`."""

    def seen():
        return next((e for e in ui.events[start:] if e.get("event") == name), None)

    return ui.until(seen, timeout, f"event {name}")


def _page_of(till, article_id: str) -> int:
    pages = sorted(till.catalogue.screens, key=lambda p: (p.get("position", 0), str(p["name"])))
    return next(
        i for i, p in enumerate(pages) if any(b.get("article_id") == article_id
                                              for b in p.get("buttons") or [])
    )  # fmt: skip


def _online_on_the_floor(ui: TillScreen) -> None:
    ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
    ui.login("c1", "1234")
    start = len(ui.events)
    ui.touch("fn:tables")
    assert ui.screen() == "tables"
    _after(ui, "floor_plan", start)
    ui.frames(3)


def test_a_table_by_touch_from_the_floor_plan_to_its_payment(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till)
    try:
        _online_on_the_floor(ui)
        assert ui.has("room:salle") and ui.has("room:terrasse")
        assert "2 seats" in ui.text("table:T1")
        ui.touch("covers:4")
        n = len(ui.events)
        ui.touch("table:T3")
        opened = _after(ui, "table_opened", n)
        assert opened["table"]["covers"] == 4
        ui.until(lambda: ui.screen() == "table", 10, "the table screen")
        ui.frames(3)
        assert ui.text("tab:title") == "Table T3 · 4 covers"
        # a drink at once, the main with its cooking and an extra
        ui.touch(f"tabpage:{_page_of(till, BEER)}")
        n = len(ui.events)
        ui.touch(f"dish:{BEER}")
        _after(ui, "table", n)
        ui.touch("course:2")
        ui.touch("mod:saignant")
        ui.touch("mod:supp-fromage")
        ui.touch(f"tabpage:{_page_of(till, DISH)}")
        n = len(ui.events)
        ui.touch(f"dish:{DISH}")
        line = _after(ui, "table", n)["table"]["lines"][-1]
        assert [m["name"] for m in line["modifiers"]] == ["Saignant", "Supplément fromage"]
        assert line["course"] == 2
        ui.idle()
        assert "Mains · not sent" in ui.text(f"tline:{line['line_id']}")
        assert "Saignant, Supplément fromage" in ui.text(f"tline:{line['line_id']}")
        assert ui.text("tab:total") == "€17.50"  # 3.50 + 12.50 + 1.50
        # starters (none) and the drink now: the main waits
        ui.touch("course:1")
        n = len(ui.events)
        ui.touch("tab:send")
        sent = _after(ui, "round_sent", n)
        assert sent["round"] == 1 and [ln["sent_round"] for ln in sent["table"]["lines"]] == [
            1,
            None,
        ]
        ui.touch("tab:send_all")
        assert _after(ui, "round_sent", len(ui.events) - 1)["round"] in (1, 2)
        ui.idle()
        assert "Mains · round 2" in ui.text(f"tline:{line['line_id']}")
        ui.screenshot(tmp_path / "table.png")
        n = len(ui.events)
        ui.touch("tab:pay_card")
        closed = _after(ui, "sale_closed", n)
        assert closed["total"] == 1750 and closed["record"]["table"]["table_id"] == "T3"
        done = _after(ui, "table_closed", n)
        ui.until(lambda: ui.screen() == "tables", 10, "back on the floor plan")
        _after(ui, "floor_plan", ui.events.index(done))
        ui.frames(3)
        assert "4 seats" in ui.text("table:T3")  # free again
    finally:
        ui.close()


def test_a_table_being_paid_on_another_till_is_not_taken_over(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr")
    try:
        # another till has table 6 and its bill on screen
        code = server.enrolment_code("till B")
        r = httpx.post(f"{server.url}/api/v1/enroll", json={"code": code, "name": "till B"},
                       verify=server.tls())  # fmt: skip
        other = httpx.Client(
            base_url=f"{server.url}/api/v1",
            headers={"Authorization": f"Bearer {r.json()['token']}"},
            verify=server.tls(),
        )
        tab = Tab.open("T6", 3, "2026-12-03T12:00:00+00:00")
        tab.add({"article_id": BEER, "name": "Bière", "price": 350, "vat_bp": 2000})
        assert other.put("/tables/T6", json=tab.as_dict()).status_code == 200
        assert other.post("/tables/T6/paying", json={"on": True}).status_code == 200
        _online_on_the_floor(ui)
        assert "caisse" in ui.text("table:T6")
        ui.touch("table:T6")
        n = len(ui.events)
        ui.touch("tables:take")
        err = _after(ui, "error", n)
        assert err["code"] == "table_paying"
        ui.frames(2)
        message = ui.find("message")
        assert message.level == "error"
        assert message.text == (
            "La table T6 est en train d'être payée sur une autre caisse : "
            "elle ne peut pas être reprise maintenant."
        )
        ui.screenshot(tmp_path / "floor.png")
        # nothing changed: the other till still holds it, with its line
        held = other.get("/tables/T6").json()
        assert held["holder"] != till.till_id and len(held["tab"]["lines"]) == 1
    finally:
        ui.close()
