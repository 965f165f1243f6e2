"""What a new cashier trips over, by touch on the real screens against a real server:
messages that outlive what they said, a payment screen still live after paying, the
change of a card sale, the previous cashier's name, the clock, the language's numbers,
dates and plurals, the send button and the banner after "later", the new-article form."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from testbed.rig import Cable
from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)


def article_id(till, name: str) -> str:
    return next(a for a, row in till.catalogue.articles.items() if row["name"] == name)


def online(ui: TillScreen) -> None:
    ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")


def test_an_error_goes_at_the_next_success_and_at_a_screen_change(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till)
    try:
        online(ui)
        ui.login("c1", "1234")
        message = ui.find("message")
        ui.touch("sale:void")  # no line chosen
        assert message.level == "error" and message.text == "Choose a line of the ticket first."
        ui.touch(f"product:{article_id(till, 'Baguette')}")
        ui.event("line_added")
        ui.frames(2)
        assert message.level != "error" and "Choose a line" not in message.text
        # an error, then another screen: it does not follow the cashier there
        ui.touch("sale:void")
        assert message.level == "error"
        ui.touch("sale:pay")
        assert ui.screen() == "payment"
        assert message.level != "error" and message.text == ""
        ui.touch("paykey:,")
        ui.touch("pay:card")  # "," alone is no amount
        assert message.level == "error" and message.text == "That amount cannot be taken."
        ui.touch("pay:back")
        assert ui.screen() == "sale" and message.level != "error"
    finally:
        ui.close()


def test_after_paying_by_card_the_payment_screen_is_inert_and_shows_no_change(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr")
    try:
        online(ui)
        ui.login("c1", "1234")
        ui.touch(f"product:{article_id(till, 'Baguette')}")
        ui.event("line_added")
        ui.frames(2)
        assert ui.text("sale:header") == "Camille Martin · 1 ligne"  # one line, singular
        ui.touch("sale:pay")
        assert ui.text("pay:exact") == "Montant exact en espèces"
        ui.touch("pay:card")
        ui.event("sale_closed")
        ui.frames(2)
        assert ui.text("pay:due_label") == "Payé par" and ui.text("pay:due") == "Carte"
        assert "Rendu" not in ui.text("pay:due_label")
        # nothing on it takes a touch any more but "New sale"
        for tag in ("pay:exact", "paykey:5", "paykey:,", "pay:cash", "cash:1000"):
            assert ui.find(tag).disabled, tag
        seen = len(ui.events)
        ui.touch("pay:exact")
        ui.touch("paykey:5")
        ui.idle()
        assert [e["event"] for e in ui.events[seen:]] == []
        assert ui.find("message").level != "error"
        ui.touch("pay:new_sale")
        # a cash sale still shows its change
        ui.touch(f"product:{article_id(till, 'Baguette')}")
        ui.event("line_added")
        ui.touch("sale:pay")
        ui.touch("cash:500")
        closed = ui.until(lambda: ui.ctl.state.last_closed, 10, "closed")
        ui.frames(2)
        assert ui.text("pay:due_label") == "Rendu monnaie"
        assert ui.text("pay:due") == f"{closed['change'] // 100},{closed['change'] % 100:02d} €"
        ui.touch("pay:new_sale")
        # another cashier: the ticket's header names her at once, before any line
        ui.touch("fn:logout")
        ui.login("m1", "9876")
        ui.frames(2)
        assert ui.text("sale:header") == "Sophie Dubois"
    finally:
        ui.close()


def test_the_clock_numbers_and_dates_follow_the_store_and_the_language(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr")
    try:
        online(ui)
        zone = ZoneInfo(till.catalogue.store["timezone"])
        ui.frames(2)
        shown = ui.text("status:clock")
        now = datetime.now(zone)
        near = {(now + timedelta(seconds=d)).strftime("%H:%M:%S") for d in (-2, -1, 0, 1)}
        assert shown in near, (shown, near, zone)
        ui.login("c1", "1234")
        assert ui.text("key:,") == ","  # the keypad's decimal key, French
        ui.touch("fn:logout")
        ui.touch("lang")
        ui.frames(3)
        ui.login("c1", "1234")
        assert ui.text("key:,") == "."  # and English
        ui.touch(f"product:{article_id(till, 'Baguette')}")
        ui.event("line_added")
        ui.frames(2)
        assert ui.text("sale:header").endswith("· 1 line")
        ui.touch("sale:pay")
        ui.type("paykey", "5,5")  # the keys by their tag; the English key types "."
        assert ui.find("paykey").entry == "5.5"
        ui.touch("pay:card")  # more than due: refused, the keypad's amount is read
        ui.touch("pay:card")
        sale = ui.event("sale_closed")
        ui.touch("pay:new_sale")
        ui.touch("fn:xreport")
        ui.until(lambda: ui.has("xreport:body"), 10, "the X report")
        body = ui.text("xreport:body")
        total = f"€{sale['total'] // 100}.{sale['total'] % 100:02d}"
        today = datetime.now(zone).date()
        assert f"Day: {today.day} {today.strftime('%B')} {today.year}" in body
        assert f"Card: {total}" in body and "Card :" not in body
        assert "VAT 5.5%:" in body
    finally:
        ui.close()


def test_the_article_form_offers_every_category_and_takes_its_rate(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr")
    try:
        online(ui)
        ui.login("m1", "9876")
        ui.touch("fn:article")
        ui.until(lambda: ui.has("article:name"), 10, "the form")
        categories = [str(c["id"]) for c in till.catalogue.categories]
        assert len(categories) == 8
        for cid in categories:
            assert ui.has(f"article:category:{cid}"), cid
        assert ui.text("article:vat:550") == "5,5\u00a0%"  # French decimals, a fixed space
        rates = {}
        for row in till.catalogue.articles.values():
            rates.setdefault(row["category"], set()).add(row["vat_bp"])
        drinks = next(c for c in categories if rates.get(c) == {1000})
        bread = next(c for c in categories if rates.get(c) == {550})
        ui.touch(f"article:category:{drinks}")
        assert ui.root.article.vat.value == "1000"
        ui.touch(f"article:category:{bread}")
        assert ui.root.article.vat.value == "550"
        ui.touch("article:close")
    finally:
        ui.close()


@pytest.fixture
def cable(server):
    c = Cable(server)
    yield c
    c.close()


def test_send_sales_only_when_the_server_answers_and_the_banner_after_later(
    server, cable, tmp_path
):
    till = enrolled_till(server, tmp_path / "till", cable.url, back_probe_s=0.3)
    ui = TillScreen(till)
    try:
        online(ui)
        ui.login("c1", "1234")
        cable.cut()
        ui.until(lambda: ui.has("question:go_autonomous"), 10, "the question")
        ui.touch("answer:yes")
        ui.until(lambda: ui.ctl.state.mode == "AUTONOMOUS", 10, "autonomous")
        ui.touch(f"product:{article_id(till, 'Baguette')}")
        ui.touch("sale:pay")
        ui.touch("pay:exact")
        ui.event("sale_closed")
        ui.touch("pay:new_sale")
        ui.frames(2)
        upload = ui.find("fn:upload")
        # one sale waits, but nobody answers: nothing to offer
        assert upload.disabled and upload.text == "Send sales: the server does not answer"
        assert "out of reach" in ui.find("banner").text
        cable.mend()
        ui.until(lambda: ui.has("question:send_sales"), 15, "the send question")
        ui.touch("answer:later")
        ui.until(lambda: not ui.has("question:send_sales"), 10, "the question closed")
        ui.frames(2)
        banner = ui.find("banner").text
        assert "SERVER BACK" in banner and "1 sale waiting to be sent" in banner
        assert "out of reach" not in banner
        upload = ui.find("fn:upload")
        assert not upload.disabled and upload.text == "Send sales (1)"
        ui.touch("fn:upload")
        ui.event("upload_finished", timeout=30)
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 15, "online again")
    finally:
        ui.close()


def test_a_text_field_takes_the_focus_without_clipboard_noise(server, tmp_path, caplog):
    import sys

    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till)
    try:
        online(ui)
        ui.login("m1", "9876")
        ui.touch("fn:article")
        ui.until(lambda: ui.has("article:name"), 10, "the form")
        field = ui.find("article:name")
        ui.touch("article:name")
        ui.frames(3)
        assert field.focus
        field.insert_text("Pain")
        field.select_all()
        field.copy()
        field.cancel_selection()
        field.paste()  # through the till's own clipboard
        ui.frames(2)
        assert field.text == "PainPain"
        ui.touch("article:close")
    finally:
        ui.close()
    said = "\n".join(r.getMessage() for r in caplog.records)
    assert "Cutbuffer" not in said and "xclip" not in said and "xsel" not in said, said
    assert not [r for r in caplog.records if r.levelname == "CRITICAL"]
    assert "kivy.core.clipboard" not in sys.modules  # no provider looked for
