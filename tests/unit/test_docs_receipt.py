"""docs/receipt.png, shown in the README, is what the simulated printer draws of
the sample sale's receipt today (AUTONOME_UPDATE_GOLDEN=1 draws it again)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image, ImageChops

from appliance.till.receipt import receipt_document
from appliance.till.selftest import SAMPLE_RECORD, SAMPLE_STORE
from drivers.printer import PAPER_80MM, render
from drivers.sim.escpos import PrinterCore
from drivers.sim.paper import paper_png

DOC_PNG = Path(__file__).parents[2] / "docs" / "receipt.png"


def drawn() -> bytes:
    doc = receipt_document(SAMPLE_RECORD, store=SAMPLE_STORE, till_name="Caisse 2",
                           cashier_name="Camille Martin", paper=PAPER_80MM)  # fmt: skip
    core = PrinterCore(columns=PAPER_80MM.columns)
    core.feed(render(doc, PAPER_80MM))
    return paper_png(core.receipts()[-1], PAPER_80MM.dots)


def test_the_receipt_in_the_docs_is_the_one_printed_today():
    png = drawn()
    if os.environ.get("AUTONOME_UPDATE_GOLDEN") == "1":
        DOC_PNG.write_bytes(png)
    now = Image.open(io.BytesIO(png)).convert("1")
    shown = Image.open(DOC_PNG).convert("1")
    assert now.size == shown.size
    # pixels, not bytes: another zlib may pack the same picture differently (one
    # digit changed on the receipt moves ~30 pixels: no tolerance)
    diff = ImageChops.logical_xor(now, shown)
    changed = sum(diff.convert("L").histogram()[1:])
    assert changed == 0, f"{changed} pixels differ: AUTONOME_UPDATE_GOLDEN=1 draws it again"
