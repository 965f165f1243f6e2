"""The parts of the screens that need no window: the languages, euro amounts, the
message catalogues, the worker and the event pump, the till's X report."""

from __future__ import annotations

import gettext
import threading
import time
from datetime import UTC, date, datetime

import pytest

from appliance.domain import Line, Payment, Sale, close_sale
from appliance.till.xreport import report_from_records
from appliance.ui import i18n, po
from appliance.ui.texts import describe_error, question_text
from appliance.ui.worker import EventPump, Worker

PO = i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "autonome.po"


@pytest.fixture(autouse=True)
def english_after():
    yield
    i18n.use("en")


def test_euro_amounts_follow_the_language():
    i18n.use("fr")
    assert [i18n.money(c) for c in (1250, 5, 0, -190, 123456)] == [
        "12,50 €",
        "0,05 €",
        "0,00 €",
        "-1,90 €",
        "1 234,56 €",
    ]
    i18n.use("en")
    assert [i18n.money(c) for c in (1250, 5, -190, 123456)] == [
        "€12.50",
        "€0.05",
        "-€1.90",
        "€1,234.56",
    ]


def test_the_keypad_amounts():
    assert i18n.parse_amount("12,5") == 1250
    assert i18n.parse_amount("12.50") == 1250
    assert i18n.parse_amount("20") == 2000
    assert i18n.parse_amount("0,05 €") == 5
    for bad in ("", ",", "12,345", "abc", "1,2,3"):
        with pytest.raises(ValueError):
            i18n.parse_amount(bad)


def test_an_unknown_language_is_refused_and_changes_nothing():
    i18n.use("fr")
    with pytest.raises(ValueError, match="unknown language"):
        i18n.use("de")
    assert i18n.current().code == "fr"


def test_the_committed_catalogue_is_the_compiled_po():
    entries = po.read_po(PO.read_text(encoding="utf-8"))
    assert po.mo_bytes(entries) == PO.with_suffix(".mo").read_bytes(), (
        "autonome.mo is not the compilation of autonome.po: python -m appliance.ui.po"
    )
    fr = gettext.GNUTranslations(PO.with_suffix(".mo").open("rb"))
    assert fr.gettext("Work in autonomous mode?") == "Travailler en mode autonome ?"
    assert fr.ngettext("{n} sale to send", "{n} sales to send", 1) == "{n} vente à envoyer"
    assert fr.ngettext("{n} sale to send", "{n} sales to send", 2) == "{n} ventes à envoyer"


def test_every_text_of_the_screens_is_translated():
    import ast
    from pathlib import Path

    entries = po.read_po(PO.read_text(encoding="utf-8"))
    singular = {k.split("\0")[0] for k in entries}
    missing = []
    for path in sorted(Path(i18n.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_", "ngettext")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ) and node.args[0].value not in singular:
                missing.append(f"{path.name}: {node.args[0].value}")
    assert missing == []


def test_a_po_file_with_fuzzy_and_plural_entries():
    text = r"""
msgid ""
msgstr "Content-Type: text/plain; charset=UTF-8\n"

#, fuzzy
msgid "Old"
msgstr "Vieux"

msgid "One"
msgid_plural "Many"
msgstr[0] "Un"
msgstr[1] "Plusieurs"

msgid "Quote \"x\""
msgstr ""
"Guillemet "
"« x »"

msgid "Untranslated"
msgstr ""
"""
    entries = po.read_po(text)
    assert "Old" not in entries and "Untranslated" not in entries
    assert entries["One\0Many"] == "Un\0Plusieurs"
    assert entries['Quote "x"'] == "Guillemet « x »"
    with pytest.raises(ValueError, match="line 2"):
        po.read_po('msgid "a"\nbogus "b"\n')


def test_the_questions_say_what_each_answer_does():
    i18n.use("fr")
    q = question_text({"id": "send_sales", "pending": 25})
    assert q.question == "Envoyer maintenant les 25 ventes en attente sur cette caisse ?"
    assert [c.answer for c in q.choices] == ["send", "later"]
    assert all(c.consequence for c in q.choices)
    q = question_text({"id": "go_autonomous", "pending": 3})
    assert q.question == "Travailler en mode autonome ?"
    assert "(3 en attente)" in q.choices[0].consequence
    i18n.use("en")
    assert describe_error({"code": "no_such_code", "message": "as the core says"}) == (
        "as the core says"
    )


def test_the_worker_runs_commands_in_order_off_the_calling_thread():
    w = Worker()
    w.start()
    seen: list[tuple[int, str]] = []
    caller = threading.current_thread()
    try:
        for i in range(5):
            w.submit(lambda i=i: (time.sleep(0.01 * (5 - i)), seen.append((i, "x"))))
        w.submit(lambda: 1 / 0)  # a failing command does not stop the worker
        done = threading.Event()
        threads = []
        w.submit(lambda: threads.append(threading.current_thread()), lambda n, r: done.set())
        assert done.wait(5)
    finally:
        w.stop()
    assert [i for i, _ in seen] == [0, 1, 2, 3, 4]
    assert threads[0] is not caller


def test_the_pump_keeps_the_order_and_tags_the_worker_s_events():
    w = Worker()
    handled: list[dict] = []
    pump = EventPump(handled.append, w)
    asked = []
    pump.schedule = lambda: asked.append(1)
    w.start()
    try:
        number = w.submit(lambda: pump.publish({"event": "line_added"}))
        w.submit(lambda: None)
        time.sleep(0.2)
        pump.publish({"event": "mode"})  # from another thread: not a command's
    finally:
        w.stop()
    assert handled == []  # nothing handled until the UI thread drains
    assert pump.drain() == 2
    assert handled == [{"event": "line_added", "_request": number}, {"event": "mode"}]
    assert len(asked) == 2


def _record(seq: int, closed: datetime, payments, mode="online", prev="0" * 64) -> dict:
    sale = Sale()
    sale.add_line(Line("A001", "Baguette", 110, 2, 550, "pains"))
    sale.add_line(Line("A002", "Bière", 350, 1, 2000, "alcools"))
    for m, a in payments:
        sale.add_payment(Payment(m, a))
    return close_sale(
        sale,
        sale_id=f"s{seq}",
        till_id=1,
        seq=seq,
        prev_hash=prev,
        closed_at=closed,
        cashier_id="c1",
        mode=mode,
        snapshot_version=1,
    )


def test_the_x_report_counts_today_s_sales_cash_net_of_change():
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    records = [
        _record(1, datetime(2026, 11, 28, 7, 0, tzinfo=UTC), [("cash", 1000)]),
        _record(2, datetime(2026, 11, 28, 9, 0, tzinfo=UTC), [("card", 570)], "autonomous"),
        # 23:30 UTC is the next day in Paris
        _record(3, datetime(2026, 11, 28, 23, 30, tzinfo=UTC), [("card", 570)]),
    ]
    r = report_from_records(records, date(2026, 11, 28), paris, pending=1)
    assert (r["count"], r["total"], r["autonomous"]) == (2, 1140, 1)
    assert r["by_method"] == {"card": 570, "cash": 570}  # 1000 given, 430 back
    assert [v["vat_bp"] for v in r["by_vat"]] == [2000, 550]
    assert sum(v["gross"] for v in r["by_vat"]) == 1140
    assert (r["first_seq"], r["last_seq"], r["pending"]) == (1, 2, 1)
