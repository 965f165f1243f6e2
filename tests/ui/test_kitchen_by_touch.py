"""Kitchen orders by touch on the real screens, in French, against a real server: a
line no kitchen or bar printer takes is named plainly and the others still go; the
ticket marks what the kitchen has, a second Send sends only the new lines, a
reprint is asked for on purpose; a store that wants a table gets one."""

from __future__ import annotations

import pytest

from appliance.processes import autonome
from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)

SANDWICH = "A079"  # Jambon-beurre: sandwichs, no kitchen or bar printer
COFFEE = "A112"  # Café crème: the bar's
DISH = "A104"  # Plat du jour: the kitchen's


def _page_of(till, article_id: str) -> int:
    pages = sorted(till.catalogue.screens, key=lambda p: (p.get("position", 0), str(p["name"])))
    return next(
        i for i, p in enumerate(pages) if any(b.get("article_id") == article_id
                                              for b in p.get("buttons") or [])
    )  # fmt: skip


def _ring(ui: TillScreen, article_id: str) -> None:
    ui.touch(f"tab:{_page_of(ui.till, article_id)}")
    ui.touch(f"product:{article_id}")
    ui.idle()


def _sent(ui: TillScreen) -> list[dict]:
    return [e for e in ui.events if e.get("event") == "kitchen_sent"]


def _unfollowed(till) -> None:
    till.register.follow_kitchen = False


def _start(server, tmp_path) -> TillScreen:
    till = enrolled_till(server, tmp_path / "till")
    # the demo's printers listen nowhere: what became of each order is not followed
    # here, its news would take the message line
    ui = TillScreen(till, lang="fr", after_start=_unfollowed)
    ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
    ui.login("c1", "1234")
    return ui


def test_a_line_without_printer_is_named_in_french_and_the_others_go(server, tmp_path):
    ui = _start(server, tmp_path)
    try:
        _ring(ui, SANDWICH)
        _ring(ui, COFFEE)
        ui.touch("fn:kitchen")
        ui.type("kitchen:key", "5")
        ui.touch("kitchen:send")
        sent = ui.event("kitchen_sent", timeout=20)
        assert sent["answer"]["printers"] == ["bar"]
        ui.idle()
        message = ui.text("message")
        assert "Envoyé en cuisine." in message
        assert "Jambon-beurre : aucune imprimante cuisine ou bar — non envoyé." in message
        assert "category" not in message and "nothing was queued" not in message
        rows = {r["label"]: r["detail"] for r in ui.root.sale.ticket.data}
        assert rows == {"Jambon-beurre": "", "Café crème": "envoyé"}
    finally:
        ui.close()


def test_sent_lines_are_marked_and_a_second_send_sends_only_the_new(server, tmp_path):
    ui = _start(server, tmp_path)
    try:
        _ring(ui, COFFEE)
        ui.touch("fn:kitchen")
        assert ui.text("kitchen:status") == "1 ligne à envoyer"
        assert ui.find("kitchen:reprint").disabled
        ui.touch("kitchen:send")
        ui.event("kitchen_sent", timeout=20)
        ui.idle()
        assert [r["detail"] for r in ui.root.sale.ticket.data] == ["envoyé"]
        # Send touched again: nothing new, nothing goes
        ui.touch("fn:kitchen")
        send = ui.find("kitchen:send")
        assert send.disabled and send.text == "Tout est envoyé"
        assert ui.text("kitchen:status") == "0 ligne à envoyer · 1 ligne déjà envoyée"
        ui.touch("kitchen:send")
        ui.idle()
        assert len(_sent(ui)) == 1
        ui.touch("kitchen:close")
        _ring(ui, DISH)
        ui.touch("fn:kitchen")
        ui.touch("kitchen:send")
        ui.until(lambda: len(_sent(ui)) == 2, 20, "the second order")
        second = _sent(ui)[1]
        assert second["answer"]["printers"] == ["cuisine"] and not second.get("reprint")
        # a copy of what the kitchen has is a reprint, asked for on purpose
        ui.idle()
        ui.touch("fn:kitchen")
        assert ui.find("kitchen:send").disabled
        ui.touch("kitchen:reprint")
        ui.until(lambda: len(_sent(ui)) == 3, 20, "the reprint")
        copy = _sent(ui)[2]
        assert copy["reprint"] is True and copy["answer"]["printers"] == ["bar", "cuisine"]
        ui.idle()
        assert ui.text("message") == "Renvoyé en cuisine, marqué COPIE."
        assert [r["detail"] for r in ui.root.sale.ticket.data] == ["envoyé", "envoyé"]
    finally:
        ui.close()


def test_a_store_that_wants_a_table_asks_for_one(server, tmp_path):
    autonome("server", "store", "--data", str(server.data), "--kitchen-order", "table")
    autonome("snapshot", "build", "--data", str(server.data))
    ui = _start(server, tmp_path)
    try:
        assert (ui.till.catalogue.store or {}).get("kitchen_order") == "table"
        _ring(ui, COFFEE)
        ui.touch("fn:kitchen")
        assert ui.text("kitchen:status").endswith("table obligatoire")
        ui.touch("kitchen:send")
        ui.idle()
        assert ui.has("kitchen:status") and _sent(ui) == []
        assert ui.text("kitchen:status") == "Tapez d'abord le numéro de table."
        ui.type("kitchen:key", "12")
        ui.touch("kitchen:send")
        sent = ui.event("kitchen_sent", timeout=20)
        assert sent["answer"]["status"] == "queued"
    finally:
        ui.close()
