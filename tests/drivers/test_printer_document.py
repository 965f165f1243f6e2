"""Documents rendered to ESC/POS: golden bytes, code page, layout, safety."""

import json
import os
from pathlib import Path

import pytest

from drivers.printer import (
    PAPER_58MM,
    Barcode,
    Document,
    DocumentBuilder,
    Logo,
    QrCode,
    Style,
    Text,
    drawer_kick,
    render,
)
from drivers.printer.render import PAPER_80MM, PAPER_80MM_42, layout_columns
from drivers.sim import PrinterCore
from drivers.sim.paper import paper_text
from drivers.sim.samples import sample_kitchen_ticket, sample_receipt

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("AUTONOME_UPDATE_GOLDEN") == "1"


def golden(name: str, actual: bytes) -> bytes:
    path = GOLDEN / name
    if UPDATE:
        path.write_bytes(actual)
    return path.read_bytes()


def printed(data: bytes, columns: int = 48) -> str:
    core = PrinterCore(columns=columns)
    core.feed(data)
    assert core.unknown == []
    return paper_text(core.paper, columns)


def test_receipt_golden_bytes():
    data = render(sample_receipt())
    assert data == golden("receipt-80mm.escpos", data)
    assert printed(data) == golden("receipt-80mm.txt", printed(data).encode()).decode()


def test_a_kitchen_ticket_is_a_document_too():
    doc = sample_kitchen_ticket()
    assert doc.kind == "kitchen"
    text = printed(render(doc))
    assert "Table 12" in text and "[CODE128 T12-2-000118]" in text and "8<---" in text


@pytest.mark.parametrize("paper", [PAPER_80MM, PAPER_80MM_42, PAPER_58MM], ids=str)
def test_fixed_code_page_euro_and_accents(paper):
    data = render(Document((Text("€ é à ç è ù Ç É"),)), paper)
    assert data.startswith(b"\x1b@\x1bt\x13")  # ESC @, then ESC t 19: CP858, once
    assert data.count(b"\x1bt") == 1
    assert b"\xd5 \x82 \x85 \x87 \x8a \x97 \x80 \x90\n" in data
    assert printed(data, paper.columns).splitlines()[0] == "€ é à ç è ù Ç É"


def test_a_character_cp858_lacks_prints_as_a_question_mark():
    data = render(Document((Text("ok 😀 ł"),)))
    assert b"ok ? ?\n" in data and data.count(b"\x1bt") == 1


def test_text_never_becomes_a_command():
    evil = "Baguette\x1bp\x00\x32\x32\x1d\x56\x00"  # an article name with ESC p and GS V
    data = render(DocumentBuilder().text(evil).columns(evil, "1,10 €").build())
    assert b"\x1bp" not in data and b"\x1dV" not in data
    core = PrinterCore()
    core.feed(data)
    assert core.events == [{"event": "init"}]  # no pulse, no cut


def test_styles_are_sent_only_when_they_change():
    doc = DocumentBuilder().text("a", style=Style(bold=True)).text("b", style=Style(bold=True))
    data = render(doc.text("c").build())
    assert data.count(b"\x1bE\x01") == 1 and data.count(b"\x1bE\x00") == 1


def test_columns_wrap_the_first_cell_and_keep_prices_right():
    row = DocumentBuilder().columns("1 x Tarte aux pommes à la crème pâtissière", "3,90 €")
    lines = layout_columns(row.build().blocks[0], 32)
    assert lines == ["1 x Tarte aux pommes à la 3,90 €", "crème pâtissière"]
    assert all(len(line) <= 32 for line in lines)


def test_58mm_paper_wraps_at_32_columns():
    doc = Document((Text("x" * 40),))
    assert printed(render(doc, PAPER_58MM), 32).splitlines()[:2] == ["x" * 32, "x" * 8]


def test_double_width_text_wraps_at_half_the_columns():
    doc = Document((Text("y" * 30, style=Style(width=2)),))
    lines = printed(render(doc)).splitlines()
    assert lines[:2] == ["y" * 24, "y" * 6]


def test_barcodes_are_checked_when_the_document_is_built():
    assert Barcode("376000000001").data == "3760000000017"  # check digit added
    with pytest.raises(ValueError, match="check digit should be 7"):
        Barcode("3760000000011")
    with pytest.raises(ValueError):
        Barcode("12345")
    with pytest.raises(ValueError):
        Barcode("é", "CODE128")
    with pytest.raises(ValueError):
        Barcode("x", "QR")
    with pytest.raises(ValueError):
        QrCode("")


def test_code128_braces_are_escaped():
    data = render(Document((Barcode("A{B", "CODE128"),)))
    assert b"\x1dkI\x06{BA{{B" in data
    assert "[CODE128 A{B]" in printed(data)


def test_document_round_trips_through_json():
    doc = sample_receipt()
    again = Document.from_dict(json.loads(json.dumps(doc.to_dict())))
    assert again == doc
    assert render(again) == render(doc)


def test_logo_from_an_image_and_its_raster():
    from PIL import Image

    img = Image.new("L", (10, 2), 255)
    img.putpixel((0, 0), 0)
    img.putpixel((9, 1), 0)
    logo = Logo.from_image(img)
    assert (logo.width, logo.height, logo.raster) == (10, 2, b"\x80\x00\x00\x40")
    with pytest.raises(ValueError, match="paper has 384"):
        render(Document((Logo(400, 1, bytes(50)),)), PAPER_58MM)


def test_duplicata_banner_goes_under_the_logo():
    doc = sample_receipt().with_banner("DUPLICATA")
    assert isinstance(doc.blocks[0], Logo) and doc.blocks[1].text == "DUPLICATA"
    assert printed(render(doc)).splitlines()[1].strip() == "DUPLICATA"


def test_rendering_prints_nothing_on_stdout(capsys):
    render(sample_receipt())
    render(sample_kitchen_ticket())
    assert capsys.readouterr().out == ""  # stdout is the headless till's event channel


def test_drawer_kick_golden_bytes():
    assert drawer_kick(2, 100, 200) == b"\x1bp\x00\x32\x64"
    assert drawer_kick(5, 50, 50) == b"\x1bp\x01\x19\x19"
    assert drawer_kick(2, 510, 2) == b"\x1bp\x00\xff\x01"
    for bad in [(3, 100, 100), (2, 0, 100), (2, 100, 600)]:
        with pytest.raises(ValueError):
            drawer_kick(*bad)
