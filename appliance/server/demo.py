"""The demo bakery-café, and a generator of big catalogues for the benchmarks.

VAT follows the French rules the demo needs: food and soft drinks to take
away 5.5 %, what is eaten on site and hot drinks 10 %, alcohol 20 %.
"""

from __future__ import annotations

import random
from typing import Any

from .catalogue import CatalogueData, ean13_check_digit

__all__ = ["CASHIERS", "CATEGORIES", "demo_catalogue", "generate_catalogue", "place_printers"]

# id, name, colour, VAT (bp)
CATEGORIES: list[tuple[str, str, str, int]] = [
    ("pains", "Pains", "#d9a441", 550),
    ("viennoiseries", "Viennoiseries", "#e8c15a", 550),
    ("patisseries", "Pâtisseries", "#e07a9b", 550),
    ("sandwichs", "Sandwichs & salades", "#7fb069", 550),
    ("cuisine", "Sur place", "#c8553d", 1000),
    ("boissons-chaudes", "Boissons chaudes", "#8c5a3c", 1000),
    ("boissons-fraiches", "Boissons fraîches", "#4aa3df", 550),
    ("alcools", "Bières & vins", "#8e3b8e", 2000),
]

ARTICLES: dict[str, list[tuple[str, int]]] = {
    "pains": [
        ("Baguette", 110), ("Baguette tradition", 130), ("Demi-baguette", 60),
        ("Ficelle", 90), ("Pain de campagne", 320), ("Pain complet", 290),
        ("Pain aux céréales", 340), ("Pain de seigle", 310), ("Pain au levain", 380),
        ("Boule", 250), ("Pain de mie", 350), ("Pain aux noix", 420),
        ("Pain aux figues", 450), ("Pain aux olives", 400), ("Fougasse aux lardons", 350),
        ("Fougasse aux olives", 330), ("Pain bio", 360), ("Épi", 150), ("Couronne", 300),
        ("Pain viennois", 140), ("Pain sans sel", 280), ("Pain d'épeautre", 410),
        ("Tourte de meule", 520), ("Pain au maïs", 330), ("Bâtard", 180),
    ],
    "viennoiseries": [
        ("Croissant", 110), ("Croissant aux amandes", 190), ("Pain au chocolat", 120),
        ("Pain aux raisins", 160), ("Chausson aux pommes", 180), ("Brioche", 220),
        ("Brioche au sucre", 180), ("Brioche aux pralines", 320), ("Pain au lait", 80),
        ("Pain au lait aux pépites", 100), ("Croissant au beurre AOP", 140),
        ("Kouign-amann", 250), ("Torsade au chocolat", 190), ("Suisse", 200),
        ("Oranais", 190), ("Palmier", 150), ("Chouquettes (10)", 250),
        ("Brioche tressée", 450), ("Croissant jambon", 380), ("Pain au chocolat amandes", 210),
        ("Beignet framboise", 180), ("Beignet chocolat", 180), ("Cannelé", 170),
        ("Madeleine", 90), ("Financier", 120),
    ],
    "patisseries": [
        ("Éclair au chocolat", 320), ("Éclair au café", 320), ("Religieuse", 360),
        ("Paris-Brest", 420), ("Tarte au citron", 380), ("Tarte aux fraises", 450),
        ("Tarte aux pommes", 340), ("Tarte Tatin", 390), ("Flan pâtissier", 290),
        ("Mille-feuille", 390), ("Opéra", 420), ("Fraisier", 450), ("Saint-Honoré", 480),
        ("Macaron", 120), ("Boîte de 6 macarons", 900), ("Tartelette framboise", 420),
        ("Baba au rhum", 380), ("Forêt-noire", 420), ("Charlotte aux poires", 420),
        ("Moelleux au chocolat", 290), ("Cookie", 200), ("Brownie", 250),
        ("Muffin myrtille", 260), ("Far breton", 280), ("Tarte normande", 360),
        ("Entremets 4 parts", 1800), ("Entremets 6 parts", 2600),
        ("Galette des rois 6 parts", 2400),
    ],
    "sandwichs": [
        ("Jambon-beurre", 450), ("Jambon-emmental", 490), ("Poulet crudités", 590),
        ("Thon crudités", 560), ("Sandwich végétarien", 550), ("Saumon fumé", 690),
        ("Club poulet", 620), ("Pan bagnat", 610), ("Panini jambon fromage", 550),
        ("Panini trois fromages", 550), ("Croque-monsieur", 480), ("Quiche lorraine", 420),
        ("Quiche chèvre épinards", 440), ("Part de pizza margherita", 380),
        ("Wrap poulet", 560), ("Salade César", 750), ("Salade niçoise", 790),
        ("Salade de pâtes", 620), ("Bagel saumon", 720), ("Focaccia", 490),
    ],
    "cuisine": [
        ("Formule petit-déjeuner", 650), ("Formule déjeuner", 990),
        ("Croque-monsieur salade", 890), ("Croque-madame salade", 950),
        ("Quiche et salade", 890), ("Plat du jour", 1250), ("Soupe du jour", 590),
        ("Omelette fromage", 790), ("Assiette de charcuterie", 1150),
        ("Tartine chèvre miel", 850),
    ],
    "boissons-chaudes": [
        ("Expresso", 150), ("Double expresso", 260), ("Café allongé", 170),
        ("Café crème", 280), ("Cappuccino", 380), ("Latte macchiato", 420),
        ("Chocolat chaud", 350), ("Chocolat viennois", 420), ("Thé", 300),
        ("Thé vert à la menthe", 320), ("Infusion", 300), ("Chai latte", 420),
        ("Café noisette", 190), ("Décaféiné", 160), ("Mocaccino", 430),
    ],
    "boissons-fraiches": [
        ("Eau minérale 50 cl", 150), ("Eau gazeuse 50 cl", 180), ("Jus d'orange 25 cl", 280),
        ("Jus de pomme 25 cl", 250), ("Coca-Cola 33 cl", 250), ("Coca-Cola zéro 33 cl", 250),
        ("Orangina 33 cl", 250), ("Thé glacé 33 cl", 250), ("Limonade artisanale", 320),
        ("Smoothie fraise banane", 450), ("Thé glacé maison", 350), ("Schweppes 33 cl", 250),
        ("Perrier 33 cl", 220), ("Jus d'ananas 25 cl", 250), ("Diabolo menthe", 280),
    ],
    "alcools": [
        ("Bière pression 25 cl", 350), ("Bière blonde 33 cl", 420), ("Bière IPA 33 cl", 520),
        ("Cidre brut 33 cl", 390), ("Verre de vin rouge", 450), ("Verre de vin blanc", 450),
        ("Verre de rosé", 450), ("Coupe de champagne", 900), ("Kir", 500),
        ("Pastis", 400), ("Spritz", 750), ("Bouteille de côtes-du-rhône", 2200),
    ],
}  # fmt: skip

FAVOURITES = [
    "Baguette", "Baguette tradition", "Croissant", "Pain au chocolat", "Expresso",
    "Café crème", "Jambon-beurre", "Éclair au chocolat", "Eau minérale 50 cl",
    "Coca-Cola 33 cl", "Chocolat chaud", "Tarte au citron",
]  # fmt: skip

# id, name, role, PIN (the demo's PINs are printed in the README and the drill)
CASHIERS: list[tuple[str, str, str, str]] = [
    ("c1", "Camille Martin", "cashier", "1234"),
    ("c2", "Lucas Bernard", "cashier", "2345"),
    ("m1", "Sophie Dubois", "manager", "9876"),
]

PRINTERS: list[dict[str, Any]] = [
    {"id": "cuisine", "name": "Cuisine", "kind": "kitchen", "address": "127.0.0.1:9101",
     "categories": ["cuisine"], "backup": "bar", "direct": False},
    {"id": "bar", "name": "Bar", "kind": "bar", "address": "127.0.0.1:9102",
     "categories": ["boissons-chaudes", "alcools"], "backup": "cuisine", "direct": False},
]  # fmt: skip

VAT_RATES = [2000, 1000, 550, 210]

#: a made-up bakery; the SIRET has a valid check digit, the VAT number matches its SIREN
STORE = {
    "name": "Boulangerie du Canal",
    "address": ["12 quai de Jemmapes", "75010 Paris"],
    "siret": "73282932000074",
    "vat_number": "FR44732829320",
    "phone": "01 42 00 00 00",
    "timezone": "Europe/Paris",
    "footer": "Merci de votre visite, à bientôt !",
}


def ean13(first12: str) -> str:
    return first12 + ean13_check_digit(first12)


def _base(data: CatalogueData) -> None:
    data.vat_rates = list(VAT_RATES)
    data.categories = [
        {"id": cid, "name": name, "colour": colour, "position": pos}
        for pos, (cid, name, colour, _vat) in enumerate(CATEGORIES)
    ]
    data.cashiers = [{"id": i, "name": n, "role": r, "pin": p} for i, n, r, p in CASHIERS]
    data.printers = [dict(p) for p in PRINTERS]
    data.store = dict(STORE)


def _screens(data: CatalogueData, per_page: int, favourites: list[str]) -> None:
    colours = {cid: colour for cid, _n, colour, _v in CATEGORIES}
    by_name = {a["name"]: a for a in data.articles}
    fav = [by_name[n] for n in favourites if n in by_name]

    def button(pos: int, a: dict[str, Any]) -> dict[str, Any]:
        return {
            "position": pos,
            "label": a["name"][:24],
            "colour": colours.get(a["category"], "#cccccc"),
            "article_id": a["id"],
        }

    screens = [{"name": "Favoris", "colour": "#f2c14e", "buttons": []}] if fav else []
    if fav:
        screens[0]["buttons"] = [button(i, a) for i, a in enumerate(fav)]
    for cid, name, colour, _vat in CATEGORIES:
        items = [a for a in data.articles if a["category"] == cid][:per_page]
        screens.append(
            {"name": name, "colour": colour, "buttons": [button(i, a) for i, a in enumerate(items)]}
        )
    data.screens = screens


def place_printers(catalogue: CatalogueData, options: list[str]) -> str | None:
    """`server init --printer ID=HOST:PORT`: where each printer named listens; what
    is wrong with an option (an id the catalogue has not), None when all are right."""
    by_id = {str(p["id"]): p for p in catalogue.printers}
    for option in options:
        printer_id, _, address = option.partition("=")
        if printer_id not in by_id or not address:
            known = ", ".join(sorted(by_id)) or "none"
            return (
                f"--printer {option}: not ID=HOST:PORT with the id of a printer of the "
                f"catalogue (its printers: {known})"
            )
        by_id[printer_id]["address"] = address
    return None


def demo_catalogue() -> CatalogueData:
    """About 150 articles of a bakery-café, with barcodes, screens, cashiers, printers."""
    data = CatalogueData()
    _base(data)
    vat = {cid: bp for cid, _n, _c, bp in CATEGORIES}
    n = 0
    for cid, items in ARTICLES.items():
        for name, price in items:
            n += 1
            aid = f"A{n:03d}"
            data.articles.append(
                {"id": aid, "name": name, "price": price, "vat_bp": vat[cid], "category": cid}
            )
            data.barcodes.append({"code": ean13(f"3760123{n:05d}"), "article_id": aid})
            if n % 7 == 0:  # a second barcode: another supplier's packaging
                data.barcodes.append({"code": ean13(f"3760456{n:05d}"), "article_id": aid})
    _screens(data, per_page=40, favourites=FAVOURITES)
    return data


_VARIANTS = [
    "nature", "bio", "maison", "aux graines", "au beurre", "tradition", "du chef",
    "à l'ancienne", "de saison", "artisanal", "grand format", "mini", "familial",
    "aux noix", "au miel", "vanille", "chocolat noir", "caramel", "framboise", "citron",
]  # fmt: skip


def generate_catalogue(n: int = 100_000, seed: int = 1) -> CatalogueData:
    """`n` articles with unique valid EAN-13s (in-store prefix 2), deterministic by seed."""
    rng = random.Random(seed)
    data = CatalogueData()
    _base(data)
    cats = [(cid, bp) for cid, _n, _c, bp in CATEGORIES]
    bases = {cid: items for cid, items in ARTICLES.items()}
    # An affine permutation of 0..10^11-1: distinct indices give distinct codes.
    mod = 10**11
    a = rng.randrange(10**9, 10**10) | 1
    while a % 5 == 0:
        a += 2
    b = rng.randrange(mod)

    def code(i: int) -> str:
        return ean13(f"2{(a * i + b) % mod:011d}")

    for i in range(n):
        cid, bp = cats[rng.randrange(len(cats))]
        base, price = bases[cid][rng.randrange(len(bases[cid]))]
        aid = f"G{i + 1:06d}"
        name = f"{base} {rng.choice(_VARIANTS)} {i + 1}"
        price = max(10, price + rng.randrange(-50, 150, 10))
        data.articles.append(
            {"id": aid, "name": name, "price": price, "vat_bp": bp, "category": cid}
        )
        data.barcodes.append({"code": code(i), "article_id": aid})
        if rng.random() < 0.1:
            data.barcodes.append({"code": code(n + i), "article_id": aid})
    _screens(data, per_page=40, favourites=[])
    return data
