"""A real Till (autonomous, on its signed snapshot) wired to simulated devices under the
real pyusb and python-escpos code: scanner, receipt printer, cash drawer, a kitchen printer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from appliance.till.devconfig import parse_devices, sim_devices
from appliance.till.devices import TillDevices
from appliance.till.register import PRINTERS_OUT_OF_REACH
from drivers.printer import Timeouts
from testbed.devices import Events, autonomous_till, online_till, shop_server

FAST = Timeouts(connect_s=0.5, write_s=1.0, status_s=0.3)

ALL_SIM = sim_devices(kitchen=("cuisine",))

BAGUETTE, CROQUE, CAFE, ECLAIR = "3760000000011", "3760000000028", "3760000000035", "3760000000042"


@pytest.fixture
def shop(tmp_path):
    """shop(toml=ALL_SIM, cashier="c1"): a till, its events and its devices."""
    made = []

    def make(toml: str = ALL_SIM, cashier: str | None = "c1"):
        till = autonomous_till(tmp_path / "till", cashier=cashier)
        events = Events(till)
        devices = TillDevices.attach(
            till, parse_devices(toml), timeouts=FAST, status_every_s=0.2, scanner_poll_s=0.05
        )
        made.append(till)
        return till, events, devices

    yield make
    for till in made:
        till.stop()


def journal(till, kind):
    return [e["data"] for e in till.events.all() if e["type"] == kind]


def test_a_scanned_code_rings_the_line(shop):
    till, events, devices = shop()
    connected = events.wait("scanner_connected")  # re-published on the till's bus
    assert connected["device"].startswith("05e0:1200")
    reports = devices.sim.scanner.scan(BAGUETTE)  # a French scanner: digits with Shift
    assert any(r[0] & 0x02 for r in reports)
    assert events.wait("scanner_code")["code"] == BAGUETTE
    line = events.wait("line_added")
    assert line["line"]["article_id"] == "A001" and line["line"]["name"] == "Baguette tradition"
    assert [ln["article_id"] for ln in till.sale_summary()["lines"]] == ["A001"]
    events.wait("device_status")
    assert till.device_status()["scanner"]["state"] == "connected"


def test_an_unknown_code_from_the_scanner_is_said_not_rung(shop):
    till, events, devices = shop()
    events.wait("scanner_connected")
    devices.sim.scanner.scan("4006381333931")
    err = events.wait("error", code="unknown_barcode")
    assert "4006381333931" in err["message"] and till.sale_summary()["lines"] == []


def test_a_cash_sale_prints_its_receipt_then_opens_the_drawer(shop):
    till, events, devices = shop()
    printer = devices.sim.printer
    till.scan(BAGUETTE)
    till.add("A002", 2)
    till.discount(1, cents=100)
    record = till.pay("cash", 2000)
    assert record is not None and record["total"] == 120 + 1200
    printed = events.wait("receipt_printed", sale_id=record["sale_id"])
    opened = events.wait("drawer_opened")
    assert opened == {"event": "drawer_opened", "cashier_id": "c1",
                      "sale_id": record["sale_id"], "seq": record["seq"]}  # fmt: skip
    text = printer.text()
    for expected in [
        "Boulangerie du Canal",
        "12 quai de Jemmapes",
        "SIRET 732 829 320 00074",
        "N° TVA intracom. FR44732829320",
        "28/11/2026 11:00:07",  # 10:00:07 UTC, Paris time, to the second
        "Caisse 2",
        "Ticket n° 1",
        "Caissier : Camille Martin",
        "Croque-monsieur",
        "2 x 6,50 €",
        "-1,00 €",
        "TOTAL TTC",
        "13,20 €",
        "Espèces",
        "20,00 €",
        "Vente enregistrée en mode autonome",
        f"Empreinte : {record['hash'][:12]}",
        f"[QR {record['sale_id']}]",
        "Merci de votre visite",
    ]:
        assert expected in text, expected
    assert re.search(r"Rendu +6,80 €", text)
    # the VAT table: rate, HT, TVA, TTC (VAT on each rate's total)
    assert re.search(r"10 % +10,91 +1,09 +12,00", text)
    assert re.search(r"5,5 % +1,14 +0,06 +1,20", text)
    # the drawer opened after the receipt was cut, once
    kinds = [e["event"] for e in printer.core.events if e["event"] in ("cut", "pulse")]
    assert kinds == ["cut", "pulse"]
    assert printer.drawer.is_open and printer.drawer.openings == 1
    assert journal(till, "drawer_opened") == [
        {"cashier_id": "c1", "sale_id": record["sale_id"], "seq": record["seq"]}
    ]
    assert Path(printed["png"]).read_bytes().startswith(b"\x89PNG")
    assert "TOTAL TTC" in Path(printed["png"]).with_suffix(".txt").read_text()
    # the sale was in the outbox before anything printed
    assert till.outbox.last_record()["sale_id"] == record["sale_id"]


def test_a_card_sale_prints_and_never_opens_the_drawer(shop):
    till, events, devices = shop()
    till.scan(CAFE)
    record = till.pay("card")
    events.wait("receipt_printed", sale_id=record["sale_id"])
    assert devices.wait_idle()
    assert "Carte bancaire" in devices.sim.printer.text()
    assert "Rendu" not in devices.sim.printer.text()
    assert devices.sim.printer.drawer.pulses == [] and not devices.sim.printer.drawer.is_open
    assert events.named("drawer_opened") == [] and journal(till, "drawer_opened") == []


def test_a_manager_opens_the_drawer_journaled_a_cashier_is_refused(shop):
    till, events, devices = shop()
    drawer = devices.sim.printer.drawer
    assert till.open_drawer("change for the float") is False
    err = events.wait("error", code="drawer_refused")
    assert "only a manager" in err["message"] and "Camille Martin" in err["message"]
    assert devices.wait_idle() and drawer.pulses == []
    till.logout()
    assert till.open_drawer("x") is False
    events.wait("error", code="not_logged_in")
    assert till.login("m1", "9876")
    assert till.open_drawer("change for the float")
    opened = events.wait("drawer_opened")
    assert opened["cashier_id"] == "m1" and opened["reason"] == "change for the float"
    assert drawer.is_open and drawer.openings == 1
    assert journal(till, "drawer_opened") == [
        {"cashier_id": "m1", "reason": "change for the float"}
    ]
    status = events.wait("device_status", timeout=3)
    while status["drawer"]["state"] != "open":
        status = events.wait("device_status", timeout=3)


def test_paper_out_loses_nothing_and_the_reprint_says_duplicata_once(shop):
    till, events, devices = shop()
    printer = devices.sim.printer
    printer.core.paper_out = True
    till.scan(ECLAIR)
    record = till.pay("cash", 500)
    failed = events.wait("receipt_not_printed", sale_id=record["sale_id"])
    assert failed["problems"] == ["paper_out"]
    assert "out of paper" in failed["message"] and "the sale is recorded" in failed["message"]
    assert "png" not in failed
    assert till.outbox.last_record()["sale_id"] == record["sale_id"]
    assert journal(till, "receipt_not_printed")[0]["sale_id"] == record["sale_id"]
    events.wait("drawer_opened")  # the cash goes in even without a receipt
    status = till.device_status()
    assert status["printer"]["state"] == "problem" and status["printer"]["code"] == "paper_out"
    assert "out of paper" in status["printer"]["message"]
    assert printer.receipts_text() == []

    printer.core.paper_out = False  # a new roll
    till.reprint_last()
    copy = events.wait("receipt_printed", sale_id=record["sale_id"])
    assert copy["duplicate"] is True and copy["copy"] == 1
    assert devices.wait_idle()
    receipts = printer.receipts_text()
    assert len(receipts) == 1
    assert receipts[0].count("DUPLICATA") == 1 and "Éclair au café" in receipts[0]
    assert journal(till, "receipt_reprinted") == [
        {"sale_id": record["sale_id"], "seq": record["seq"], "copy": 1, "state": "printed"}
    ]
    assert printer.drawer.openings == 1  # a reprint never opens the drawer


def test_a_receipt_that_printed_is_never_sent_again(shop):
    till, events, devices = shop()
    till.scan(BAGUETTE)
    record = till.pay("card")
    events.wait("receipt_printed")
    devices.device_thread.put(devices._sale, record)  # the same sale again, by mistake
    assert devices.wait_idle()
    assert len(devices.sim.printer.receipts_text()) == 1


def test_printer_status_is_published_when_it_changes(shop):
    till, events, devices = shop()
    events.wait("device_status", timeout=3)
    devices.sim.printer.core.paper_near_end = True
    while True:
        status = events.wait("device_status", timeout=3)
        if status["printer"]["code"] == "paper_near_end":
            break
    assert status["printer"]["state"] == "warning" and "running low" in status["printer"]["message"]


def test_direct_kitchen_printer_prints_while_autonomous_the_others_are_refused(shop):
    till, events, devices = shop()
    kitchen = devices.sim.kitchen["cuisine"]
    till.add("A002", 2)  # Croque-monsieur: category plats -> Cuisine, direct
    till.add("A003")  # Café crème: boissons -> Bar, through the server
    till.kitchen(table="12", covers=4, note="sans oignons")
    err = events.wait("error", code="printers_out_of_reach")
    assert err["message"].startswith(PRINTERS_OUT_OF_REACH)
    assert "1 x Café crème" in err["message"] and "Croque" not in err["message"]
    printed = events.wait("kitchen_printed")
    assert printed["printer_id"] == "cuisine" and printed["lines"] == 1
    text = kitchen.text()
    assert "Cuisine" in text and "Table 12" in text and "2 x Croque-monsieur" in text
    assert "Café" not in text and "sans oignons" in text
    assert Path(printed["png"]).exists()


def test_online_the_direct_lines_print_here_and_the_others_go_to_the_server(tmp_path):
    server = shop_server()
    till = online_till(tmp_path / "till", server)
    events = Events(till)
    devices = TillDevices.attach(till, parse_devices(ALL_SIM), timeouts=FAST)
    try:
        till.add("A002")  # plats -> Cuisine, direct: printed by this till
        till.add("A003")  # boissons -> Bar: through the server
        till.kitchen(table="7")
        sent = events.wait("kitchen_sent")
        printed = events.wait("kitchen_printed")
        assert printed["job_id"] == sent["job_id"] == server.jobs[0]["job_id"]
        assert [ln["name"] for ln in server.jobs[0]["lines"]] == ["Café crème"]
        text = devices.sim.kitchen["cuisine"].text()
        assert "1 x Croque-monsieur" in text and "Café" not in text
        assert events.named("error") == []
    finally:
        till.stop()


def test_a_receipt_cut_off_midway_is_uncertain_never_sent_again_and_can_be_copied(shop):
    till, events, devices = shop()
    printer = devices.sim.printer
    till.scan(BAGUETTE)
    printer.usb.stall_after = 200  # takes the status query and part of the receipt, then stalls
    record = till.pay("card")
    uncertain = events.wait("receipt_uncertain", sale_id=record["sale_id"], timeout=10)
    assert "may be incomplete" in uncertain["message"] and "DUPLICATA" in uncertain["message"]
    assert journal(till, "receipt_not_printed")[0]["state"] == "uncertain"
    printer.usb.stalled = False
    devices.device_thread.put(devices._sale, record)  # asked again: not sent again
    assert devices.wait_idle()
    again = devices.hw.printer.retry(record["sale_id"])
    assert again.repeated and again.state == "uncertain"
    assert printer.text().count("Boulangerie du Canal") == 1 and "Ticket n°" not in printer.text()
    till.reprint_last()
    events.wait("receipt_printed", sale_id=record["sale_id"], duplicate=True)
    text = printer.text()
    assert text.count("DUPLICATA") == 1 and text.count("Ticket n° 1") == 1
    assert text.count("Boulangerie du Canal") == 2


def test_without_direct_printers_autonomous_kitchen_is_refused_as_before(shop):
    till, events, devices = shop(toml='[printer]\nkind = "sim"\n')
    till.add("A002")
    assert till.kitchen(table="3") is None
    err = events.wait("error", code="printers_out_of_reach")
    assert err["message"] == PRINTERS_OUT_OF_REACH


def test_a_till_without_devices_sells_and_says_so_when_asked(tmp_path):
    till = autonomous_till(tmp_path / "till")
    events = Events(till)
    try:
        till.scan(BAGUETTE)
        assert till.pay("cash", 500) is not None
        assert till.reprint_last() is False and till.open_drawer("x") is False
        assert [e["code"] for e in events.named("error")] == ["no_printer", "no_drawer"]
        assert till.device_status() == {"event": "device_status"}
    finally:
        till.stop()
