"""The server lost in the middle of a sale, the two questions, the upload, a refused
article: by touch, on the real till core, its cable to a real server cut and mended."""

from __future__ import annotations

import sqlite3
import time

import pytest

from testbed.rig import Cable, assert_exactly_once
from testbed.sales import append_autonomous_sales
from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)


def article_id(till, name: str) -> str:
    return next(a for a, row in till.catalogue.articles.items() if row["name"] == name)


def journal(server) -> list[dict]:
    r = server.api("GET", "/api/v1/journal", params={"limit": 5000})
    r.raise_for_status()
    return r.json()["sales"]


@pytest.fixture
def cable(server):
    c = Cable(server)
    yield c
    c.close()


def go_autonomous_by_touch(ui: TillScreen, cable: Cable) -> None:
    cable.cut()
    ui.until(lambda: ui.has("question:go_autonomous"), 10, "the go-autonomous question")
    assert ui.ctl.state.mode == "ASK_AUTONOMOUS"
    ui.touch("answer:yes")
    ui.until(lambda: ui.ctl.state.mode == "AUTONOMOUS", 10, "autonomous mode")
    ui.frames(2)


def test_a_sale_cut_by_the_server_loss_ends_in_autonomous_mode(server, cable, tmp_path):
    till = enrolled_till(server, tmp_path / "till", cable.url)
    ui = TillScreen(till)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        assert not ui.find("banner").shown
        baguette, croissant = article_id(till, "Baguette"), article_id(till, "Croissant")
        ui.touch(f"product:{baguette}")
        ui.touch(f"product:{croissant}")
        ui.idle()
        assert len(ui.ctl.state.sale["lines"]) == 2

        cable.cut()
        ui.until(lambda: ui.has("question:go_autonomous"), 10, "the go-autonomous question")
        # the question states what each answer does
        question = ui.find("question:go_autonomous")
        texts = [w.text for w in question.walk() if hasattr(w, "text")]
        assert "Work in autonomous mode?" in texts
        assert any("last night's catalogue" in t and "No new articles" in t for t in texts)
        assert any("The sale on screen is kept" in t for t in texts)
        assert ui.text("status:mode") == "Server lost"
        # the dialog covers the screen: a product touched behind it does nothing
        ui.touch(f"product:{baguette}")
        ui.idle()
        assert len(ui.ctl.state.sale["lines"]) == 2

        ui.touch("answer:yes")
        ui.until(lambda: ui.ctl.state.mode == "AUTONOMOUS", 10, "autonomous mode")
        ui.frames(2)
        assert not ui.has("question:go_autonomous")
        banner = ui.find("banner")
        assert banner.shown and banner.height >= 40 and "AUTONOMOUS MODE" in banner.text
        assert ui.text("status:mode") == "Autonomous"
        # the sale on screen is still there, and goes on from the snapshot
        assert [ln["name"] for ln in ui.ctl.state.sale["lines"]] == ["Baguette", "Croissant"]
        ui.touch(f"product:{baguette}")
        ui.idle()
        lines = [(ln["name"], ln["quantity"]) for ln in ui.ctl.state.sale["lines"]]
        assert lines == [("Baguette", 2), ("Croissant", 1)]  # on its line, from the snapshot
        ui.touch("sale:pay")
        ui.touch("pay:card")
        closed = ui.event("sale_closed")
        assert closed["mode"] == "autonomous" and closed["total"] == 110 + 110 + 110
        ui.frames(2)
        assert ui.text("status:pending") == "1 sale to send"
        assert "1 sale kept on this till" in ui.find("banner").text
        # on every screen: the banner is above the screens, not in one of them
        ui.touch("pay:new_sale")
        assert ui.find("banner").shown
        # nothing went to the server
        assert journal(server) == []
    finally:
        ui.close()


def test_the_upload_question_answered_later_then_send(server, cable, tmp_path):
    folder = tmp_path / "till"
    till = enrolled_till(server, folder, cable.url, back_probe_s=0.3)
    ui = TillScreen(till)
    acknowledged = []
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        go_autonomous_by_touch(ui, cable)
        for name in ("Baguette", "Expresso"):
            ui.touch(f"product:{article_id(till, name)}")
            ui.touch("sale:pay")
            ui.touch("pay:exact")
            acknowledged.append(ui.until(lambda: ui.ctl.state.last_closed, 10, "closed"))
            ui.touch("pay:new_sale")
        assert ui.ctl.state.pending == 2

        cable.mend()
        ui.until(lambda: ui.has("question:send_sales"), 15, "the send-sales question")
        question = ui.find("question:send_sales")
        texts = [w.text for w in question.walk() if hasattr(w, "text")]
        assert "Send the 2 sales waiting on this till now?" in texts
        assert any("stays in autonomous mode and keeps the sales" in t for t in texts)
        ui.touch("answer:later")
        ui.until(lambda: not ui.has("question:send_sales"), 10, "the question closed")
        ui.frames(2)
        assert ui.ctl.state.mode == "AUTONOMOUS" and ui.find("banner").shown
        assert ui.text("status:pending") == "2 sales to send"
        time.sleep(1.0)  # several back probes: the till does not ask again in this run
        ui.frames(2)
        assert not ui.has("question:send_sales")
        assert journal(server) == []
    finally:
        ui.close()

    # the next start asks again; 1,200 more sales made alone wait too
    from appliance.till import Outbox, Till

    box = Outbox.open(folder)
    append_autonomous_sales(box, till.till_id, 1200)
    more = [box.load(e) for e in box.pending()][2:]
    box.close()
    till = Till(folder, server_hint=cable.url, mdns=False)
    ui = TillScreen(till)
    try:
        ui.until(lambda: ui.has("question:send_sales"), 20, "the question at the next start")
        assert ui.ctl.state.question["pending"] == 1202
        ui.touch("answer:send")
        ui.until(lambda: ui.has("upload"), 10, "the upload dialog")
        done = ui.event("upload_finished", timeout=60)
        ui.frames(3)
        assert done["sent"] == 1202
        progress = [e["sent"] for e in ui.events if e["event"] == "upload_progress"]
        assert len(progress) >= 3 and progress == sorted(progress)  # batches of 500
        assert ui.find("upload").bar.value == ui.find("upload").bar.max
        assert ui.text("upload:count") == "1202 of 1202 sales sent"
        assert ui.text("upload:end").startswith("Done: 1202 sales sent")
        assert not ui.find("upload:ok").disabled
        ui.touch("upload:ok")
        assert not ui.has("upload")
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 10, "online again")
        ui.frames(2)
        assert not ui.find("banner").shown
        assert ui.text("status:pending") == "0 sales to send"
        sales = [{k: ev[k] for k in ("sale_id", "seq", "hash", "total")} for ev in acknowledged] + [
            {k: r[k] for k in ("sale_id", "seq", "hash", "total")} for r in more
        ]
        assert_exactly_once(server, till.till_id, sales)
    finally:
        ui.close()


def server_articles(server) -> list[str]:
    with sqlite3.connect(f"file:{server.data / 'server.db'}?mode=ro", uri=True) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM articles")]


def test_article_creation_is_refused_in_autonomous_mode(server, cable, tmp_path):
    till = enrolled_till(server, tmp_path / "till", cable.url)
    ui = TillScreen(till)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        # a cashier sees the button, disabled, saying why
        assert ui.find("fn:article").disabled
        assert "managers only" in ui.text("fn:article")
        ui.touch("fn:logout")
        ui.login("m1", "9876")
        assert not ui.find("fn:article").disabled
        # online, a manager creates one
        ui.touch("fn:article")
        ui.find("article:name").text = "Tarte aux poires"
        ui.find("article:price").text = "3,90"
        ui.touch("article:create")
        ui.event("article_created")
        ui.frames(2)
        assert ui.text("article:result") == "Article created: Tarte aux poires"
        assert "Tarte aux poires" in server_articles(server)
        # the server goes away with the form open; the manager goes on in autonomous mode
        ui.find("article:name").text = "Tarte normande maison"
        cable.cut()
        ui.until(lambda: ui.has("question:go_autonomous"), 10, "the question")
        ui.touch("answer:yes")
        ui.until(lambda: ui.ctl.state.mode == "AUTONOMOUS", 10, "autonomous")
        ui.touch("article:create")
        refused = ui.event("error", code="autonomous_no_article_creation")
        ui.frames(2)
        assert "autonomous" in refused["message"]
        assert ui.text("article:result").startswith("No article can be created in autonomous")
        ui.touch("article:close")
        # the button stays, disabled, saying why; touching it opens nothing
        button = ui.find("fn:article")
        assert button.disabled and "not in autonomous mode" in button.text
        ui.touch("fn:article")
        assert not ui.has("article:create")
        assert "Tarte normande maison" not in server_articles(server)
    finally:
        ui.close()


def test_a_scan_cut_short_by_the_outage_leaves_no_ghost_line(server, cable, tmp_path):
    """The scanner rings a code up just as the server goes: its grey line waits for the
    answer, then becomes the real line; nothing grey survives the sale."""
    from appliance.till.devconfig import sim_devices
    from appliance.ui.cli import attach_devices

    folder = tmp_path / "till"
    # the scan is what notices the server is gone (no health check comes first)
    till = enrolled_till(server, folder, cable.url, heartbeat_s=60.0)
    (folder / "devices.toml").write_text(sim_devices())
    ui = TillScreen(till, after_start=attach_devices)
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        ui.until(lambda: ui.ctl.state.devices.get("scanner", {}).get("state") == "connected", 10)
        ui.touch(f"product:{article_id(till, 'Baguette')}")
        ui.idle()
        croissant = article_id(till, "Croissant")
        codes = till.catalogue.barcodes.items()
        code = next(c for c, row in codes if row["article_id"] == croissant)
        cable.cut()
        till.devices.sim.scanner.scan(code)
        ui.event("error", code="server_unreachable")
        ui.until(lambda: ui.has("question:go_autonomous"), 10, "the go-autonomous question")
        ui.frames(2)
        kept = list(ui.ctl.state.provisional.values())
        assert len(kept) == 1 and kept[0]["detail"] == "kept: done again once you answer"
        ui.touch("answer:yes")
        ui.until(lambda: len(ui.ctl.state.sale["lines"]) == 2, 10, "the scan done again")
        ui.idle()
        assert [ln["name"] for ln in ui.ctl.state.sale["lines"]] == ["Baguette", "Croissant"]
        assert ui.ctl.state.provisional == {}
        rows = ui.root.sale.ticket.data
        assert [r["label"] for r in rows] == ["Baguette", "Croissant"]
        assert not any(r["provisional"] for r in rows)
        ui.touch("sale:pay")
        ui.touch("pay:card")
        ui.event("sale_closed")
        ui.touch("pay:new_sale")
        ui.frames(2)
        assert ui.ctl.state.provisional == {} and ui.root.sale.ticket.data == []
    finally:
        ui.close()
