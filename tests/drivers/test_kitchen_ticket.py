"""Kitchen tickets: golden bytes, what the kitchen reads on the paper, copies."""

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from drivers.printer import PAPER_58MM, Document, render
from drivers.printer.tickets import COPY_BANNER, kitchen_ticket, short_number
from drivers.sim import PrinterCore
from drivers.sim.paper import paper_text

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("AUTONOME_UPDATE_GOLDEN") == "1"
PARIS_WINTER = timezone(timedelta(hours=1))
AT = datetime(2026, 11, 28, 12, 34, 56, tzinfo=PARIS_WINTER)

JOB = {
    "job_id": "3f9a2c1b-7d4e-4b8a-9c0d-1e2f3a4b5c6d",
    "till_id": 2,
    "table": 12,
    "covers": 4,
    "note": "Allergie aux fruits à coque",
    "lines": [
        {"article_id": "croque", "name": "Croque-monsieur", "quantity": 2, "category": "plats"},
        {
            "article_id": "quiche",
            "name": "Quiche lorraine, salade verte et pommes de terre sautées",
            "quantity": 1,
            "category": "plats",
            "note": "sans salade",
        },
        {"article_id": "cafe", "name": "Café crème", "quantity": 3, "category": "boissons"},
    ],
}


def golden(name: str, actual: bytes) -> bytes:
    path = GOLDEN / name
    if UPDATE:
        path.write_bytes(actual)
    return path.read_bytes()


def printed(data: bytes, columns: int = 48) -> tuple[str, PrinterCore]:
    core = PrinterCore(columns=columns)
    core.feed(data)
    assert core.unknown == []
    return paper_text(core.paper, columns), core


def ticket(**kw) -> Document:
    args = {
        "printer_name": "Cuisine",
        "lines": JOB["lines"][:2],
        "printed_at": AT,
        "till_name": "Caisse 2",
    }
    return kitchen_ticket(JOB, **{**args, **kw})


def test_kitchen_ticket_golden_bytes():
    data = render(ticket())
    assert data == golden("kitchen-80mm.escpos", data)
    text, _ = printed(data)
    assert text == golden("kitchen-80mm.txt", text.encode()).decode()


def test_the_kitchen_reads_table_covers_till_time_number_lines_notes():
    text, core = printed(render(ticket()))
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == "Cuisine"
    assert lines[1] == "Table 12"
    assert "Couverts : 4" in lines
    assert "Caisse 2                        28/11/2026 12:34" in text  # to the minute
    assert "12:34:56" not in text
    assert "Commande n° 3F9A2C1B" in lines
    assert "2 x Croque-monsieur" in lines
    # a long name wraps under the name, not under the quantity
    i = lines.index("1 x Quiche lorraine,")
    assert text.splitlines()[i + 1].startswith("    salade")
    assert "> sans salade" in lines
    assert "Note : Allergie aux fruits à coque" in lines
    assert "Café crème" not in text  # not routed here
    assert [e["event"] for e in core.events].count("cut") == 1
    assert text.rstrip().endswith("8<" + "-" * 46)


def test_quantities_and_table_are_printed_large():
    _, core = printed(render(ticket()))
    sizes = {}
    for item in core.paper:
        for span in getattr(item, "spans", ()):
            sizes[span.text.strip()] = (span.width, span.height)
    assert sizes["Table 12"] == (2, 2)
    assert sizes["2 x Croque-monsieur"] == (2, 2)
    assert sizes["Couverts : 4"] == (1, 1)


def test_a_copy_after_an_uncertain_print_says_so_on_top():
    text, core = printed(render(ticket(banner=COPY_BANNER)))
    assert text.splitlines()[0].strip() == "COPIE"
    same = ticket().with_banner(COPY_BANNER)
    assert render(same) == render(ticket(banner=COPY_BANNER))


def test_no_table_no_covers_no_note_and_a_bar_ticket():
    job = {**JOB, "table": None, "covers": None, "note": ""}
    doc = kitchen_ticket(job, printer_name="Bar", lines=JOB["lines"][2:], printed_at=AT, kind="bar")
    assert doc.kind == "bar"
    text, _ = printed(render(doc))
    lines = [line.strip() for line in text.splitlines()]
    assert lines[:2] == ["Bar", "Sans table"]
    assert "3 x Café crème" in lines
    assert not any(line.startswith(("Couverts", "Note :")) for line in lines)


def test_58mm_paper_keeps_the_double_width_lines_inside():
    data = render(ticket(paper=PAPER_58MM), PAPER_58MM)
    text, core = printed(data, 32)
    for item in core.paper:
        if hasattr(item, "spans"):
            assert sum(len(s.text) * s.width for s in item.spans) <= 32
    assert "1 x Quiche" in text


def test_names_and_notes_never_become_commands():
    evil = [{"name": "Bière\x1bp\x00\x32\x32", "quantity": 1, "note": "\x1dV\x00 vite"}]
    data = render(kitchen_ticket({**JOB, "note": "\x1d\x56\x00"}, printer_name="Bar",
                                 lines=evil, printed_at=AT))  # fmt: skip
    _, core = printed(data)
    assert [e["event"] for e in core.events] == ["init", "cut"]


def test_a_ticket_has_lines():
    with pytest.raises(ValueError, match="at least one line"):
        kitchen_ticket(JOB, printer_name="Cuisine", lines=[], printed_at=AT)


def test_short_numbers():
    assert short_number("3f9a2c1b-7d4e-4b8a-9c0d-1e2f3a4b5c6d") == "3F9A2C1B"
    assert short_number("T2-118") == "T2-118"
    assert short_number("till-2-kitchen-000118") == "n-000118"


def test_a_ticket_survives_json():
    doc = ticket(banner=COPY_BANNER)
    assert Document.from_dict(doc.to_dict()) == doc
