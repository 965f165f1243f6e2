"""The spooler's parts on a real SQLite store: settings, addresses, job status,
recovery at start, reprints, the cashier's messages, paper out and expiry
against simulated TCP printers in this process."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from appliance.server.print_status import delivery_message, job_view, printers_view
from appliance.server.printing import (
    PrintRefused,
    job_status_of,
    reprint,
    submit_job,
)
from appliance.server.spooler import PrintSettings, TcpSpooler, parse_address, recover
from appliance.server.storage import (
    now_iso,
    open_store,
    print_deliveries,
    print_jobs,
    printers,
    tills,
)
from drivers.sim import SimPrinter

FAST = PrintSettings(
    attempts=2, backoff_s=0.05, backoff_max_s=0.1, connect_s=0.5, write_s=1, status_s=0.3,
    poll_s=0.05, probe_s=0.1, idle_probe_s=0,
)  # fmt: skip

JOB = {
    "job_id": "j-1",
    "till_id": 1,
    "table": 7,
    "covers": 2,
    "note": "",
    "lines": [
        {"name": "Steak", "quantity": 1, "category": "plats"},
        {"name": "Bière", "quantity": 2, "category": "boissons"},
    ],
}
PRINTERS = {
    "cuisine": {"printer_id": "cuisine", "name": "Cuisine", "kind": "kitchen"},
    "bar": {"printer_id": "bar", "name": "Bar", "kind": "bar"},
}


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "server.db")
    with s.write() as conn:
        conn.execute(tills.insert().values(name="Caisse 1", token_hash="x", enrolled_at=now_iso()))
    yield s
    s.close()


def configure(store, cuisine="127.0.0.1:1", bar="127.0.0.1:1", backup="bar"):
    with store.write() as conn:
        conn.execute(printers.delete())
        conn.execute(
            printers.insert(),
            [
                {"id": "cuisine", "name": "Cuisine", "kind": "kitchen", "address": cuisine,
                 "categories": '["plats"]', "backup": backup, "direct": False},
                {"id": "bar", "name": "Bar", "kind": "bar", "address": bar,
                 "categories": '["boissons"]', "backup": None, "direct": False},
            ],
        )  # fmt: skip


def states(store, job_id="j-1") -> dict:
    with store.read() as conn:
        rows = conn.execute(
            print_deliveries.select().where(print_deliveries.c.job_id == job_id)
        ).all()
    return {(r.printer_id, r.copy): r.state for r in rows}


def test_settings_from_server_json():
    assert PrintSettings.from_settings({}) == PrintSettings()
    assert PrintSettings.from_settings({"printing": {"attempts": 5}}).attempts == 5
    assert PrintSettings().backoff(0) == 0.5 and PrintSettings().backoff(10) == 4.0
    for bad, said in [
        ({"attempts": 0}, "printing.attempts"),
        ({"attempts": 1.5}, "printing.attempts"),
        ({"status_s": 0}, "printing.status_s"),
        ({"write_s": "10"}, "printing.write_s is a number"),
        ({"idle_probe_s": -1}, "printing.idle_probe_s"),
        ({"colour": 1}, "no setting colour"),
    ]:
        with pytest.raises(ValueError, match=said):
            PrintSettings.from_settings({"printing": bad})
    with pytest.raises(ValueError, match="is an object"):
        PrintSettings.from_settings({"printing": [1]})
    assert PrintSettings.from_settings({"printing": {"idle_probe_s": 0}}).idle_probe_s == 0


def test_printer_addresses():
    assert parse_address("192.168.1.50:9100") == ("192.168.1.50", 9100)
    assert parse_address("cuisine.local") == ("cuisine.local", 9100)
    assert parse_address("[fe80::1]:9101") == ("fe80::1", 9101)
    for bad in ("", ":9100", "host:port", "host:0", "host:70000"):
        with pytest.raises(ValueError, match="host:port"):
            parse_address(bad)


def test_job_status_follows_its_deliveries():
    assert job_status_of(["printed", "queued"]) == "queued"
    assert job_status_of(["printed", "sending"]) == "queued"
    assert job_status_of(["printed", "uncertain", "failed"]) == "failed"
    assert job_status_of(["printed", "uncertain"]) == "uncertain"
    assert job_status_of(["printed", "printed"]) == "printed"


def test_a_job_is_stored_with_one_delivery_per_route(store):
    configure(store)
    state, new = submit_job(store, JOB)
    assert new and state == {"job_id": "j-1", "status": "queued", "printers": ["bar", "cuisine"]}
    assert states(store) == {("bar", 0): "queued", ("cuisine", 0): "queued"}
    assert submit_job(store, JOB) == (state, False)
    assert len(states(store)) == 2


def test_recover_makes_sending_uncertain_and_gives_old_jobs_deliveries(store):
    configure(store)
    submit_job(store, JOB)
    with store.write() as conn:
        conn.execute(
            print_deliveries.update()
            .where(print_deliveries.c.printer_id == "cuisine")
            .values(state="sending")
        )
        conn.execute(
            print_jobs.insert().values(
                job_id="old", till_id=1, printers='["cuisine"]', status="queued",
                body=orjson.dumps({**JOB, "job_id": "old", "lines": JOB["lines"][:1]}).decode(),
                created_at="2026-01-01T10:00:00+00:00", updated_at="2026-01-01T10:00:00+00:00",
            )
        )  # fmt: skip
    made_uncertain = recover(store)
    assert [r.printer_id for r in made_uncertain] == ["cuisine"]
    assert states(store) == {("bar", 0): "queued", ("cuisine", 0): "uncertain"}
    assert states(store, "old") == {("cuisine", 0): "queued"}
    view = job_view(store, "j-1")
    assert view is not None and view["status"] == "queued"  # the bar's still waits
    assert recover(store) == []  # once


def test_reprint_is_refused_while_waiting_then_adds_a_copy(store):
    configure(store)
    submit_job(store, JOB)
    with pytest.raises(PrintRefused) as e:
        reprint(store, "j-1")
    assert (e.value.code, e.value.status) == ("still_printing", 409)
    with pytest.raises(PrintRefused, match="no print job nope"):
        reprint(store, "nope")
    with store.write() as conn:
        conn.execute(print_deliveries.update().values(state="uncertain"))
    with pytest.raises(PrintRefused, match="no ticket for office"):
        reprint(store, "j-1", "office")
    assert reprint(store, "j-1", "cuisine") == [
        {"job_id": "j-1", "printer_id": "cuisine", "copy": 1}
    ]
    assert states(store)[("cuisine", 1)] == "queued"
    assert job_view(store, "j-1")["status"] == "queued"


@pytest.mark.parametrize(
    "delivery, message",
    [
        ({"state": "queued"}, ""),
        ({"state": "queued", "last_error": "printer_unreachable"},
         "kitchen printer Cuisine is not answering: trying again"),
        ({"state": "queued", "sent_to": "bar", "primary_error": "paper_out"},
         "kitchen printer Cuisine is out of paper: the ticket goes to Bar (backup)"),
        ({"state": "printed", "sent_to": "cuisine"}, ""),
        ({"state": "printed", "sent_to": "cuisine", "last_error": "paper_near_end"},
         "kitchen printer Cuisine: the paper is running low"),
        ({"state": "printed", "sent_to": "bar", "primary_error": "cover_open"},
         "kitchen printer Cuisine has its cover open: the ticket went to Bar (backup)"),
        ({"state": "failed", "last_error": "printer_not_answering"},
         "kitchen printer Cuisine is not answering: nothing printed, tell the kitchen"),
        ({"state": "failed", "sent_to": "bar", "primary_error": "printer_unreachable",
          "last_error": "paper_out"},
         "kitchen printer Cuisine is not answering and Bar (backup) is out of paper: "
         "nothing printed, tell the kitchen"),
        ({"state": "failed", "last_error": "expired"},
         "kitchen printer Cuisine: the ticket waited too long and was not printed; "
         "tell the kitchen"),
        ({"state": "uncertain", "sent_to": "cuisine", "last_error": "printer_unreachable",
          "copy": 2},
         "copy 2: the ticket on kitchen printer Cuisine may be incomplete or missing: the "
         "printer stopped during it (printer_unreachable); check it there and reprint a copy "
         "if needed"),
    ],
)  # fmt: skip
def test_what_the_cashier_is_told(delivery, message):
    d = {"printer_id": "cuisine", "sent_to": None, "last_error": None, "primary_error": None,
         "copy": 0, **delivery}  # fmt: skip
    assert delivery_message(d, PRINTERS) == message


def _settled(store, job_id="j-1", timeout=10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        view = job_view(store, job_id)
        if view is not None and view["status"] != "queued":
            return view
        assert time.monotonic() < deadline, view
        time.sleep(0.02)


def test_paper_out_goes_to_the_backup_and_the_printer_is_down(store):
    cuisine, bar = SimPrinter(), SimPrinter()
    configure(store, cuisine.serve_tcp().address, bar.serve_tcp().address)
    cuisine.core.paper_out = True
    spooler = TcpSpooler(store, FAST)
    spooler.start()
    try:
        submit_job(store, JOB, spooler)
        view = _settled(store)
        kitchen = next(d for d in view["deliveries"] if d["printer_id"] == "cuisine")
        assert (kitchen["state"], kitchen["sent_to"]) == ("printed", "bar")
        assert kitchen["message"].startswith("kitchen printer Cuisine is out of paper")
        health = {p["printer_id"]: p for p in printers_view(store)}
        assert (health["cuisine"]["state"], health["cuisine"]["last_error"]) == (
            "down",
            "paper_out",
        )
        assert cuisine.core.events == [] and len(bar.receipts_text()) == 2
        cuisine.core.paper_out = False  # a new roll: the probe finds it
        deadline = time.monotonic() + 5
        while spooler.health()["cuisine"].state != "ok":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        # the health the store shows is written just after: it follows within the 5 s
        while {p["printer_id"]: p["state"] for p in printers_view(store)}["cuisine"] != "ok":
            assert time.monotonic() < deadline, printers_view(store)
            time.sleep(0.02)
    finally:
        spooler.stop()
        cuisine.close()
        bar.close()


def test_a_ticket_queued_too_long_is_not_printed(store):
    bar = SimPrinter()
    configure(store, "127.0.0.1:1", bar.serve_tcp().address, backup=None)
    job = {**JOB, "lines": JOB["lines"][1:]}
    submit_job(store, job)
    old = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    with store.write() as conn:
        conn.execute(print_deliveries.update().values(created_at=old))
    spooler = TcpSpooler(store, FAST)
    spooler.start()
    try:
        view = _settled(store)
    finally:
        spooler.stop()
        bar.close()
    assert view["status"] == "failed"
    assert view["deliveries"][0]["last_error"] == "expired"
    assert bar.core.events == []


def test_nothing_starts_before_start(store):
    configure(store)
    spooler = TcpSpooler(store, FAST)
    submit_job(store, JOB, spooler)  # only stored: no worker, no thread
    assert spooler.health() == {}
    assert states(store) == {("bar", 0): "queued", ("cuisine", 0): "queued"}
