"""The demo restaurant's floor plan and modifiers: the café's dining room and its
terrace, the kitchen's cookings, withouts and priced extras."""

from __future__ import annotations

from typing import Any

__all__ = ["DEMO_FLOOR_PLAN"]


def _t(tid: str, room: str, shape: str, x: int, y: int, w: int, h: int, seats: int):
    return {"table_id": tid, "name": tid.lstrip("T"), "room_id": room, "shape": shape,
            "x": x, "y": y, "w": w, "h": h, "seats": seats}  # fmt: skip


DEMO_FLOOR_PLAN: dict[str, Any] = {
    "rooms": [
        {"room_id": "salle", "name": "Salle", "position": 0},
        {"room_id": "terrasse", "name": "Terrasse", "position": 1},
    ],
    "tables": [
        _t("T1", "salle", "round", 6, 8, 14, 14, 2),
        _t("T2", "salle", "round", 28, 8, 14, 14, 2),
        _t("T3", "salle", "square", 50, 8, 16, 16, 4),
        _t("T4", "salle", "square", 74, 8, 16, 16, 4),
        _t("T5", "salle", "rect", 6, 40, 30, 16, 6),
        _t("T6", "salle", "rect", 50, 40, 40, 16, 8),
        _t("T7", "salle", "round", 6, 72, 14, 14, 2),
        _t("T8", "salle", "square", 28, 72, 16, 16, 4),
        _t("T10", "terrasse", "round", 8, 10, 14, 14, 2),
        _t("T11", "terrasse", "round", 30, 10, 14, 14, 2),
        _t("T12", "terrasse", "square", 52, 10, 16, 16, 4),
        _t("T13", "terrasse", "rect", 8, 45, 36, 16, 6),
    ],
    "modifiers": [
        {"modifier_id": "bleu", "kind": "cooking", "name": "Bleu", "categories": ["cuisine"]},
        {"modifier_id": "saignant", "kind": "cooking", "name": "Saignant",
         "categories": ["cuisine"]},
        {"modifier_id": "a-point", "kind": "cooking", "name": "À point", "categories": ["cuisine"]},
        {"modifier_id": "bien-cuit", "kind": "cooking", "name": "Bien cuit",
         "categories": ["cuisine"]},
        {"modifier_id": "sans-oignons", "kind": "without", "name": "Sans oignons"},
        {"modifier_id": "sans-gluten", "kind": "without", "name": "Sans gluten"},
        {"modifier_id": "sans-sucre", "kind": "without", "name": "Sans sucre"},
        {"modifier_id": "supp-fromage", "kind": "extra", "name": "Supplément fromage",
         "price": 150},
        {"modifier_id": "supp-frites", "kind": "extra", "name": "Supplément frites",
         "price": 300},
        {"modifier_id": "supp-chantilly", "kind": "extra", "name": "Chantilly", "price": 80},
    ],
}  # fmt: skip
