"""The simulated ESC/POS printer: streaming parser, state, status bits, output."""

import io
import random

import pytest
from PIL import Image

from drivers.printer import render
from drivers.sim import PrinterCore, SimDrawer, SimPrinter
from drivers.sim.samples import sample_kitchen_ticket, sample_receipt

JOB = render(sample_receipt())


@pytest.mark.parametrize("seed", range(5))
def test_commands_split_anywhere_across_writes(seed):
    whole = PrinterCore()
    whole.feed(JOB)
    rng = random.Random(seed)
    split = PrinterCore()
    i = 0
    while i < len(JOB):
        n = rng.choice([1, 2, 3, 7, 64, 500])
        split.feed(JOB[i : i + n])
        i += n
    assert split.paper == whole.paper and split.unknown == []
    one_by_one = PrinterCore()
    for b in JOB:
        one_by_one.feed(bytes([b]))
    assert one_by_one.paper == whole.paper


def test_state_lasts_across_writes_until_esc_at():
    core = PrinterCore()
    core.feed(b"\x1bt\x13\x1bE\x01")  # CP858, bold
    core.feed(b"\xd5\n")
    assert core.paper[-1].text == "€" and core.paper[-1].spans[0].bold
    core.feed(b"\x1b@\xd5\n")  # ESC @: code page 437 again, bold off
    assert core.paper[-1].text == "╒" and not core.paper[-1].spans[0].bold


def test_esc_at_clears_what_was_not_printed_yet():
    core = PrinterCore()
    core.feed(b"half a line\x1b@rest\n")
    assert [item.text for item in core.paper] == ["rest"]


@pytest.mark.parametrize(
    ("condition", "answers"),
    [
        ({}, (0x12, 0x12, 0x12)),
        ({"paper_near_end": True}, (0x12, 0x12, 0x1E)),
        ({"paper_out": True}, (0x1A, 0x32, 0x7E)),
        ({"cover_open": True}, (0x1A, 0x16, 0x12)),
        ({"offline": True}, (0x1A, 0x52, 0x12)),
    ],
)
def test_dle_eot_answers(condition, answers):
    core = PrinterCore()
    for k, v in condition.items():
        setattr(core, k, v)
    assert core.feed(b"\x10\x04\x01\x10\x04\x02\x10\x04\x04") == bytes(answers)


def test_dle_eot_split_and_drawer_bit():
    drawer = SimDrawer(pin=2)
    core = PrinterCore(drawer=drawer)
    assert core.feed(b"\x10") == b""
    assert core.feed(b"\x04") == b""
    assert core.feed(b"\x01") == b"\x12"
    drawer.is_open = True
    assert core.feed(b"\x10\x04\x01") == b"\x16"  # bit 2: pin 3 high
    wired_low = PrinterCore(drawer=SimDrawer(open_is_high=False))
    assert wired_low.feed(b"\x10\x04\x01") == b"\x16"  # closed reads high on this drawer


def test_cut_and_pulse_events_and_the_drawer():
    drawer = SimDrawer(pin=5)
    core = PrinterCore(drawer=drawer)
    core.feed(b"\x1bp\x00\x32\x64")  # pin 2: not this drawer
    assert not drawer.is_open
    core.feed(b"\x1bp\x01\x05\x05")  # pin 5 but 10 ms: too short to open it
    assert not drawer.is_open
    core.feed(b"\x1bp\x01\x32\x64")
    assert drawer.is_open and drawer.openings == 1
    core.feed(b"x\n\x1dV\x00\x1dV\x42\x03")
    assert [e for e in core.events if e["event"] == "cut"] == [
        {"event": "cut", "partial": False},
        {"event": "cut", "partial": True},
    ]
    assert {"event": "pulse", "pin": 5, "on_ms": 100, "off_ms": 200} in core.events
    drawer.close()
    assert not drawer.is_open


def test_nothing_is_printed_without_paper_but_status_still_answers():
    core = PrinterCore()
    core.paper_out = True
    assert core.feed(b"lost\n\x10\x04\x04") == b"\x7e"
    assert core.paper == [] and core.lost == 1
    core.paper_out = False
    core.feed(b"back\n")
    assert core.paper[-1].text == "back"


def test_power_on_forgets_half_a_command_and_the_mode():
    core = PrinterCore()
    core.feed(b"\x1bE\x01\x1d(k\x10\x00")  # bold, and half of a 2D code command
    core.power_on()
    core.feed(b"fresh\n")
    assert core.paper[-1].text == "fresh" and not core.paper[-1].spans[0].bold


def test_text_rendering_of_both_documents():
    printer = SimPrinter()
    printer.core.feed(render(sample_receipt()) + render(sample_kitchen_ticket()))
    receipt, ticket = printer.receipts_text()
    assert "TOTAL TTC" in receipt and "17,50 €" in receipt and "[QR https://" in receipt
    assert "[EAN13 2000000001180]" in receipt and "[image 576x64]" in receipt
    assert "CUISINE" in ticket and "sans salade" in ticket


def test_png_is_deterministic_and_paper_wide():
    a, b = SimPrinter(), SimPrinter()
    for p in (a, b):
        p.core.feed(render(sample_receipt()))
    png = a.png()
    assert png == a.png() == b.png()
    img = Image.open(io.BytesIO(png))
    assert img.width == 576 and img.height > 1000 and img.mode == "L"
    hist = img.histogram()
    assert hist[0] and hist[255] and sum(hist[1:255]) == 0  # black and white, no grey
    assert png.startswith(b"\x89PNG")
