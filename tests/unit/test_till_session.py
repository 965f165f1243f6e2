"""The till core's modes and sale path, driven through its collaborators without threads
or network: the link's own steps (discovery, drain, upload) against the in-memory server
(`testbed.fakeserver`), and the news they tell the core through its one door, `signal`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from appliance.domain import verify_chain
from appliance.till import Mode, Signal, Till, TillConfig
from appliance.till.client import Rejected
from appliance.till.discovery import Sighting
from appliance.till.linelog import LogWriteError
from appliance.till.modes import TRANSITIONS, step
from appliance.till.ports import Back, Holds, Lost, NoServerFound
from appliance.till.snapshot import SnapshotStore
from appliance.till.sync import Uploader, advance, drain
from testbed.devices import Clock
from testbed.fakeserver import FakeServer
from testbed.snapshots import PUBLIC, make_snapshot, signed
from testbed.tls import make_certificate

SEEN = Sighting("srv-1", "https://127.0.0.1:1", 1, via="probe")


ARTICLES = [
    {"article_id": "A001", "name": "Baguette", "price": 110, "vat_bp": 550,
     "category": "bread", "barcodes": ["3760000000011"]},
    {"article_id": "NEW1", "name": "Tarte", "price": 300, "vat_bp": 550,
     "category": "pastry", "barcodes": ["999"]},
]  # fmt: skip


@pytest.fixture
def rig(tmp_path):
    cert = make_certificate()
    TillConfig(
        2,
        "s3cret-token",
        "srv-1",
        "https://127.0.0.1:1",
        signing_key=PUBLIC,
        server_cert=cert.cert_pem,
        server_fingerprint=cert.fingerprint,
    ).save(tmp_path)
    data = make_snapshot(1)
    SnapshotStore(tmp_path / "snapshot").install(
        data, hashlib.sha256(data).hexdigest(), 1, **signed(data)
    )
    fake, clock, events, tills = (
        FakeServer(ARTICLES),
        Clock(datetime(2026, 11, 28, 10, tzinfo=UTC)),
        [],
        [],
    )

    def new_till() -> Till:
        # the link's probe finds the server unless it is down
        def probe(*a, **k):
            return None if fake.down else SEEN

        till = Till(tmp_path, client_factory=fake, probe_fn=probe, now=clock, mdns=False)
        till.subscribe(events.append)
        till.start(background=False)
        tills.append(till)
        return till

    class Rig:
        pass

    r = Rig()
    r.dir, r.fake, r.clock, r.events, r.new_till = tmp_path, fake, clock, events, new_till
    r.till = new_till()
    yield r
    for t in tills:
        t.stop()


def named(events, name):
    return [e for e in events if e["event"] == name]


def found(till: Till) -> None:
    """The link looks for the server (DISCOVERING) and its probe finds it."""
    till.link.discover()


def online(r) -> Till:
    found(r.till)
    assert r.till.mode is Mode.ONLINE
    assert r.till.login("c1", "1234")
    return r.till


def sell(till: Till, code: str = "3760000000011", amount: int = 500) -> dict:
    till.scan(code)
    return till.pay("cash", amount)


# -- the table ----------------------------------------------------------------------
def test_transition_table_matches_the_architecture():
    assert step(Mode.BOOT, Signal.START) is Mode.DISCOVERING
    assert step(Mode.DISCOVERING, Signal.FOUND) is Mode.ONLINE
    assert step(Mode.DISCOVERING, Signal.FOUND_WITH_SALES) is Mode.ASK_UPLOAD
    assert step(Mode.DISCOVERING, Signal.NOT_FOUND) is Mode.ASK_AUTONOMOUS
    assert step(Mode.ONLINE, Signal.SERVER_LOST) is Mode.ASK_AUTONOMOUS
    assert step(Mode.ASK_AUTONOMOUS, Signal.YES) is Mode.AUTONOMOUS
    assert step(Mode.ASK_AUTONOMOUS, Signal.RETRY) is Mode.DISCOVERING
    assert step(Mode.ASK_UPLOAD, Signal.LATER) is Mode.AUTONOMOUS
    assert step(Mode.SYNCING, Signal.UPLOAD_INTERRUPTED) is Mode.AUTONOMOUS
    # autonomous means no more server attempts: losing it again changes nothing
    assert step(Mode.AUTONOMOUS, Signal.SERVER_LOST) is None
    assert all(new is not old for (old, _), new in TRANSITIONS.items())


# -- modes ----------------------------------------------------------------------------
def test_found_goes_online_and_lost_asks_to_go_autonomous(rig):
    till = rig.till
    assert till.mode is Mode.DISCOVERING
    online(rig)
    till.signal(Lost("health check failed"))
    assert till.mode is Mode.ASK_AUTONOMOUS
    q = named(rig.events, "question")[-1]
    assert q["id"] == "go_autonomous" and q["choices"] == ["yes", "retry"]
    assert q["reason"] == "health check failed"
    assert "autonomous" in q["text"] and "health" not in q["text"]
    till.answer("go_autonomous", "yes")
    assert till.mode is Mode.AUTONOMOUS
    modes = [e["mode"] for e in named(rig.events, "mode")]
    assert modes == ["DISCOVERING", "ONLINE", "ASK_AUTONOMOUS", "AUTONOMOUS"]
    journal = [e["type"] for e in till.events.all()]
    assert journal[0] == "boot" and "autonomous_started" in journal
    assert journal.count("mode_changed") == 4


def test_not_found_asks_and_retry_looks_again(rig):
    till = rig.till
    till.signal(NoServerFound())
    assert till.mode is Mode.ASK_AUTONOMOUS
    till.answer(None, "retry")
    assert till.mode is Mode.DISCOVERING
    till.answer(None, "yes")  # no open question any more
    assert named(rig.events, "error")[-1]["code"] == "no_such_question"
    found(till)
    assert till.mode is Mode.ONLINE


def test_wrong_answer_is_an_error_and_the_question_stays(rig):
    rig.till.signal(NoServerFound())
    rig.till.answer("go_autonomous", "perhaps")
    assert named(rig.events, "error")[-1]["code"] == "bad_answer"
    assert rig.till.mode is Mode.ASK_AUTONOMOUS and rig.till.question.id == "go_autonomous"


def test_sales_wait_for_the_answer(rig):
    till = online(rig)
    rig.fake.down = True
    till.link.heartbeat()  # the server is gone: the link's health check fails
    rig.fake.down = False
    till.scan("3760000000011")
    assert named(rig.events, "error")[-1]["code"] == "question_pending"
    assert rig.fake.calls.count("barcode") == 0


# -- the sale path --------------------------------------------------------------------
def test_online_sale_is_in_the_outbox_before_it_is_acknowledged_then_drained(rig):
    till = online(rig)
    order = []
    till.subscribe(lambda e: order.append((e["event"], till.outbox.last_seq)))
    rec = sell(till)
    assert rec["mode"] == "online" and rec["seq"] == 1 and rec["total"] == 110
    closed = named(rig.events, "sale_closed")[-1]
    assert closed["seq"] == 1 and closed["change"] == 390 and closed["sale_id"] == rec["sale_id"]
    assert ("sale_closed", 1) in order  # published when the outbox already held seq 1
    assert till.outbox.pending_count == 1
    assert drain(till.link)
    assert till.outbox.acked == 1 and rig.fake.sales[rec["sale_id"]] == rec


def test_unknown_barcode_is_an_error_and_the_sale_is_unchanged(rig):
    till = online(rig)
    till.scan("3760000000011")
    till.scan("000")
    err = named(rig.events, "error")[-1]
    assert err["code"] == "unknown_barcode" and "000" in err["message"]
    assert len(till.sale.lines) == 1
    till.signal(Lost("x"))
    till.answer("go_autonomous", "yes")
    till.scan("000")
    assert named(rig.events, "error")[-1]["code"] == "unknown_barcode"
    assert len(till.sale.lines) == 1


def test_server_failing_during_a_sale_completes_it_autonomously(rig):
    till = online(rig)
    till.scan("3760000000011")
    rig.fake.down = True
    till.scan("3760000000028")  # croissant: only in the snapshot
    assert till.mode is Mode.ASK_AUTONOMOUS
    assert len(till.sale.lines) == 1  # the sale on screen is kept
    till.answer("go_autonomous", "yes")
    assert till.mode is Mode.AUTONOMOUS
    assert [ln.article_id for ln in till.sale.lines] == ["A001", "A002"]  # scan retried
    rec = till.pay("cash", 1000)
    assert rec["mode"] == "autonomous" and rec["total"] == 230
    assert till.outbox.autonomous_pending == 1


def test_line_edits_discounts_and_split_payment(rig):
    till = online(rig)
    till.scan("3760000000011")
    till.add("NEW1", 2)
    till.set_quantity(0, 3)
    till.set_price(1, 420)  # typed on the keypad, then back to the article's price
    assert named(rig.events, "sale_updated")[-1]["sale"]["lines"][1]["unit_price"] == 420
    till.set_price(1, -5)
    assert named(rig.events, "error")[-1]["code"] == "bad_price"
    till.set_price(1, 300)
    till.discount(1, percent=10)
    till.discount(cents=30)
    s = named(rig.events, "sale_updated")[-1]["sale"]
    assert s["total"] == 330 + 540 - 30
    till.void(0)
    assert till.sale.total == 540 - 30
    till.pay("card", 200)
    assert named(rig.events, "sale_updated")[-1]["sale"]["due"] == 310
    till.pay("card", 400)  # more than due by card: refused
    assert named(rig.events, "error")[-1]["code"] == "overpayment"
    rec = till.pay(payments=[{"method": "meal_voucher", "amount": 100}, {"method": "cash"}])
    assert rec["payments"] == [
        {"method": "card", "amount": 200},
        {"method": "meal_voucher", "amount": 100},
        {"method": "cash", "amount": 210},
    ]
    till.scan("3760000000011")
    till.cancel()
    assert till.sale.lines == [] and named(rig.events, "sale_cancelled")


def test_an_article_rung_again_goes_on_its_line_unless_the_setting_is_off(rig):
    till = online(rig)
    for _ in range(3):
        till.scan("3760000000011")
    added = named(rig.events, "line_added")
    assert [e["index"] for e in added] == [0, 0, 0]
    assert [e["line"]["quantity"] for e in added] == [1, 2, 3]
    till.add("NEW1")
    till.set_price(1, 280)  # priced by hand: the next Tarte is a line of its own
    till.add("NEW1")
    assert [(ln.article_id, ln.quantity) for ln in till.sale.lines] == [
        ("A001", 3), ("NEW1", 1), ("NEW1", 1)
    ]  # fmt: skip
    rec = till.pay("cash", 2000)
    assert [ln["quantity"] for ln in rec["lines"]] == [3, 1, 1] and rec["total"] == 330 + 580
    till.stop()
    conf = TillConfig.load(rig.dir)
    conf.settings.merge_lines = False
    conf.save(rig.dir)
    again = rig.new_till()
    found(again)
    assert again.login("c1", "1234")
    again.scan("3760000000011")
    again.scan("3760000000011")
    assert [ln.quantity for ln in again.sale.lines] == [1, 1]


def test_login_is_checked_against_the_snapshot(rig):
    till = rig.till
    found(till)
    till.scan("3760000000011")
    assert named(rig.events, "error")[-1]["code"] == "not_logged_in"
    assert not till.login("c1", "9999")
    assert not till.login("nobody", "1234")
    assert till.login("c1", "1234")
    assert named(rig.events, "logged_in")[-1]["cashier_id"] == "c1"


def test_a_write_error_keeps_the_sale_open_and_the_seq_free(rig, monkeypatch):
    till = online(rig)
    till.scan("3760000000011")

    def full(payload):
        raise LogWriteError(28, "No space left on device")

    monkeypatch.setattr(till.outbox._log, "append", full)
    assert till.pay("cash", 500) is None
    err = named(rig.events, "error")[-1]
    assert err["code"] == "outbox_write_failed" and "NOT recorded" in err["message"]
    assert not named(rig.events, "sale_closed")
    assert len(till.sale.lines) == 1 and till.sale.payments == []
    monkeypatch.undo()
    rec = till.pay("cash", 500)
    assert rec["seq"] == 1


def test_clock_going_backwards_never_dates_a_sale_before_the_last(rig):
    till = online(rig)
    first = sell(till)
    rig.clock.t -= timedelta(hours=3)  # no RTC, no NTP
    second = sell(till)
    assert second["closed_at"] == first["closed_at"] and second["clock_behind"] is True
    assert [e for e in till.events.all() if e["type"] == "clock_backwards"]
    till.stop()
    again = rig.new_till()  # the last time survives a restart
    found(again)
    again.login("c1", "1234")
    third = sell(again)
    assert third["seq"] == 3 and third["closed_at"] == first["closed_at"]
    assert verify_chain([first, second, third]) == []


def test_autonomous_refuses_article_creation_and_kitchen_tickets(rig):
    till = online(rig)
    till.create_article({"name": "Tarte", "price": 300, "vat_bp": 550})
    assert named(rig.events, "article_created")
    till.scan("3760000000011")
    till.kitchen(table="4", covers=2)
    assert rig.fake.jobs[0]["lines"][0]["name"] == "Baguette"
    till.signal(Lost("x"))
    till.answer("go_autonomous", "yes")
    till.create_article({"name": "Tarte", "price": 300, "vat_bp": 550})
    err = named(rig.events, "error")[-1]
    assert err["code"] == "autonomous_no_article_creation" and "server" in err["message"]
    till.kitchen(table="4")
    err = named(rig.events, "error")[-1]
    assert err["code"] == "printers_out_of_reach"
    assert "out of reach in autonomous mode" in err["message"]
    assert len(rig.fake.jobs) == 1


def test_a_kitchen_order_refused_by_the_server_for_want_of_a_printer_marks_nothing(rig):
    till = online(rig)
    till.scan("3760000000011")

    def refuse(job):  # its snapshot is newer than the till's: that printer is gone
        raise Rejected("no_printer", "no kitchen or bar printer for category pains", 422)

    rig.fake.print_job = refuse
    assert till.kitchen(table="4") is None
    err = named(rig.events, "error")[-1]
    assert err["code"] == "kitchen_no_printer"  # not the receipt printer's no_printer
    assert till.sale_summary()["lines"][0]["kitchen_sent"] == 0


# -- getting the server back ----------------------------------------------------------
def autonomous_sales(r, n: int) -> Till:
    till = r.till
    till.signal(NoServerFound())
    till.answer("go_autonomous", "yes")
    till.login("c1", "1234")
    for _ in range(n):
        sell(till)
    return till


def test_found_with_offline_sales_asks_to_send_them_and_later_keeps_autonomous(rig):
    till = autonomous_sales(rig, 3)
    till.stop()
    till = rig.new_till()
    found(till)
    assert till.mode is Mode.ASK_UPLOAD
    q = named(rig.events, "question")[-1]
    assert q["id"] == "send_sales" and "3 sales" in q["text"] and q["choices"] == ["send", "later"]
    till.answer("send_sales", "later")
    assert till.mode is Mode.AUTONOMOUS and till.outbox.pending_count == 3
    assert rig.fake.calls.count("upload") == 0
    till.signal(Back(SEEN))  # asked once a run
    assert till.mode is Mode.AUTONOMOUS
    till.stop()
    till = rig.new_till()  # the question comes back at the next start
    found(till)
    assert till.mode is Mode.ASK_UPLOAD


def test_send_uploads_in_batches_with_progress_then_online(rig):
    till = autonomous_sales(rig, 12)
    till.stop()
    till = rig.new_till()
    till.settings.upload_batch = 5
    found(till)
    till.answer("send_sales", "send")
    assert till.mode is Mode.SYNCING
    Uploader(till.link).run()
    assert till.mode is Mode.ONLINE
    assert rig.fake.batches == [5, 5, 2]
    progress = [(e["sent"], e["total"]) for e in named(rig.events, "upload_progress")]
    assert progress == [(5, 12), (10, 12), (12, 12)]
    assert named(rig.events, "upload_finished")[-1]["sent"] == 12
    assert till.outbox.acked == 12 and till.outbox.pending_count == 0
    types = [e["type"] for e in till.events.all()]
    assert "upload_started" in types and "upload_finished" in types


def test_upload_stops_cleanly_when_the_server_goes_away(rig):
    till = autonomous_sales(rig, 12)
    till.settings.upload_batch = 5
    rig.fake.fail_upload_after = 1
    till.upload()
    assert till.mode is Mode.SYNCING
    Uploader(till.link).run()
    assert till.mode is Mode.AUTONOMOUS
    assert till.outbox.acked == 5 and till.outbox.pending_count == 7
    ev = named(rig.events, "upload_interrupted")[-1]
    assert ev["sent"] == 5 and ev["pending"] == 7
    assert "upload_interrupted" in [e["type"] for e in till.events.all()]
    rig.fake.fail_upload_after = None
    till.upload()  # the cashier starts it again: nothing lost, nothing twice
    Uploader(till.link).run()
    assert till.mode is Mode.ONLINE and till.outbox.acked == 12
    assert len(rig.fake.sales) == 12


def test_a_kept_aside_line_does_not_block_the_queue(rig):
    till = autonomous_sales(rig, 4)
    till.stop()
    path = rig.dir / "outbox.log"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1] = b"0" * 16 + lines[1][16:]
    path.write_bytes(b"".join(lines))
    till = rig.new_till()
    assert named(rig.events, "outbox_repaired")[-1]["kept_aside"] == 1
    found(till)
    till.answer("send_sales", "send")
    Uploader(till.link).run()
    assert till.mode is Mode.ONLINE and till.outbox.acked == 4
    assert {e["seq"] for e in named(rig.events, "kept_aside")} == {2}


def test_advance_only_moves_over_held_records():
    from appliance.till.outbox import Entry

    batch = [
        Entry(0, 1, 4),
        Entry(1, 1, 5),
        Entry(2, 1, None, raw=b"x", after_seq=5),
        Entry(3, 1, 7),
    ]
    assert advance(3, batch, ["stored", "duplicate", "quarantined", "stored"]) == 7
    assert advance(3, batch, ["stored", "missing", "stored", "stored"], contiguous=4) == 4
    assert advance(3, batch, ["stored"] * 4, contiguous=99) == 7  # never past what was sent
    assert advance(6, batch[:1], ["stored"], contiguous=2) == 6  # never backwards


def test_status_tells_mode_pending_and_snapshot(rig):
    till = autonomous_sales(rig, 2)
    st = till.status()
    assert st["event"] == "status" and st["mode"] == "AUTONOMOUS"
    assert st["pending"] == 2 and st["last_seq"] == 2 and st["snapshot_version"] == 1
    assert "token" not in str(st) and "s3cret" not in str(rig.events)


# -- after a crash, a restore, with a clock off ----------------------------------------
def test_a_start_after_a_crash_names_the_last_sale_recorded(rig):
    till = online(rig)
    rec = sell(till)
    assert not named(rig.events, "recovered")  # a first start is a clean one
    till.outbox.close()  # killed: no `shutdown` in its journal
    till.events.close()
    till.outbox = till.events = None
    again = rig.new_till()
    told = named(rig.events, "recovered")[-1]
    assert told["last_sale"]["sale_id"] == rec["sale_id"] and "no. 1" in told["message"]
    assert named(rig.events, "boot")[-1]["clean_stop"] is False
    again.stop()
    rig.new_till()  # stopped cleanly this time
    assert named(rig.events, "boot")[-1]["clean_stop"] is True
    assert len(named(rig.events, "recovered")) == 1


def test_a_server_holding_less_than_acknowledged_gets_the_sales_again(rig):
    till = online(rig)
    sold = [sell(till) for _ in range(5)]
    assert drain(till.link) and till.outbox.acked == 5
    _, end = till.events.unsent()
    till.events.mark_sent(end)
    rig.fake.sales = {r["sale_id"]: r for r in sold[:2]}  # restored from last night's backup
    rig.fake.contiguous_seq = 2
    till.link.heartbeat()  # the server's health answer says what it holds
    told = named(rig.events, "resend")[-1]
    assert (told["acked"], told["was"], told["pending"]) == (2, 5, 3)
    assert till.outbox.acked == 2 and till.events.sent == 0
    assert [e["type"] for e in till.events.all()][-1] == "acked_rewound"
    assert drain(till.link) and till.outbox.acked == 5
    assert set(rig.fake.sales) == {r["sale_id"] for r in sold}
    till.signal(Holds(2))  # the same answer again: a hole it cannot fill, not sent twice
    till.signal(Holds(7))  # more than acknowledged: nothing to do
    till.signal(Holds(True))
    assert till.outbox.acked == 5 and len(named(rig.events, "resend")) == 1


def test_the_cashier_hears_of_a_clock_off_once_per_change(rig):
    till = online(rig)
    for offset in (2, -18000, -17990, -18100, 3, 5):
        rig.fake.clock_offset_s = offset
        till.link.heartbeat()  # the server's health answer reads the till's clock
    told = [(e["offset_s"], e["message"]) for e in named(rig.events, "clock_off")]
    assert [o for o, _ in told] == [-18000, -18100, 3]
    assert "5 h 00 min behind" in told[0][1] and "right again" in told[2][1]


def test_a_cancel_the_journal_cannot_keep_leaves_the_sale_and_says_so(rig, monkeypatch):
    till = online(rig)
    till.scan("3760000000011")

    def full(*_a, **_k):
        raise LogWriteError(28, "No space left on device")

    monkeypatch.setattr(till.events._log, "append", full)
    till.cancel()  # no store rules in this snapshot: no manager asked
    assert named(rig.events, "error")[-1]["code"] == "cancel_not_recorded"
    assert [ln.article_id for ln in till.sale.lines] == ["A001"]
    assert not named(rig.events, "sale_cancelled")
    monkeypatch.undo()
    till.cancel()
    assert named(rig.events, "sale_cancelled")[-1]["journaled"] is True
    assert till.sale.lines == []
    kept = [e for e in till.events.all() if e["type"] == "sale_cancelled"]
    assert len(kept) == 1 and kept[0]["data"]["total"] == 110
