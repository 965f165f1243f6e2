"""Sample documents for the tests, the benchmarks and a look at the simulator.

The real receipts and kitchen tickets are built by the till from a sale; these
only exercise every kind of block with French text.
"""

from __future__ import annotations

import functools

from drivers.printer.document import BIG, BOLD, Document, DocumentBuilder, Logo, Style


@functools.cache
def sample_logo() -> Logo:
    """A 192 x 64 dot logo (a loaf in a frame), computed dot by dot so that it is
    the same whatever the Pillow version."""
    width, height = 192, 64
    rows = []
    for y in range(height):
        bits = 0
        for x in range(width):
            frame = x < 4 or x >= width - 4 or y < 4 or y >= height - 4
            loaf = ((x - 96) / 56) ** 2 + ((y - 32) / 16) ** 2 <= 1
            cut = loaf and any(abs((x - c) - (y - 32) * 0.4) < 2 for c in (64, 88, 112, 128))
            bits = bits << 1 | (frame or (loaf and not cut))
        rows.append(bits.to_bytes(width // 8, "big"))
    return Logo(width, height, b"".join(rows))


def sample_receipt() -> Document:
    b = DocumentBuilder("receipt")
    b.logo(sample_logo())
    b.text("Boulangerie du Coin", "center", BIG)
    b.text("12 rue de la Paix, 75002 Paris", "center")
    b.text("SIRET 123 456 789 00012 - TVA FR12345678901", "center")
    b.rule()
    b.columns("Ticket 2-000118", "28/11/2026 10:00")
    b.columns("Caissière : Zoé", "Caisse 2")
    b.rule()
    for qty, name, price in [
        (2, "Baguette tradition", "2,20"),
        (1, "Pain au chocolat", "1,30"),
        (1, "Tarte aux pommes à la crème pâtissière, part", "3,90"),
        (3, "Café crème", "7,50"),
        (1, "Éclair au café", "2,60"),
    ]:
        b.columns(f"{qty} x {name}", f"{price} €")
    b.rule("=")
    b.columns("TOTAL TTC", "17,50 €", style=Style(bold=True, height=2))
    b.columns("Espèces", "20,00 €")
    b.columns("Rendu", "2,50 €")
    b.rule()
    b.columns("TVA", "HT", "TVA", "TTC", widths=(None, 8, 8, 8))
    b.columns("5,5 %", "9,00", "0,50", "9,50", widths=(None, 8, 8, 8))
    b.columns("10 %", "7,27", "0,73", "8,00", widths=(None, 8, 8, 8))
    b.rule()
    b.barcode("200000000118")  # the check digit is added
    b.text("Votre avis compte :", "center")
    b.qr("https://autonome.example/avis/2-000118", size=5)
    b.text("Merci de votre visite, à bientôt !", "center", BOLD)
    b.cut()
    return b.build()


def sample_kitchen_ticket() -> Document:
    b = DocumentBuilder("kitchen")
    b.text("CUISINE", "center", Style(invert=True, bold=True, width=2, height=2))
    b.columns("Table 12", "4 couverts", style=BIG)
    b.text("10:02  caisse 2  Zoé")
    b.rule()
    b.columns("2 x Croque-monsieur", style=Style(width=2, height=2))
    b.columns("1 x Quiche lorraine", style=Style(width=2, height=2))
    b.text("  sans salade", style=BOLD)
    b.rule()
    b.barcode("T12-2-000118", "CODE128", height=48)
    b.cut()
    return b.build()
