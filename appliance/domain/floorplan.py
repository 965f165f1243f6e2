"""The floor plan of a restaurant (rooms, tables, their shapes and places) and the
modifiers of its dishes (cooking, without, extra priced), as the snapshot carries them.

No I/O: `FloorPlan.from_dict` and `modifiers_from_rows` check what they are given and
name each fault (`TableError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .sale import SaleError

__all__ = [
    "MAX_COVERS",
    "MODIFIER_KINDS",
    "SHAPES",
    "FloorPlan",
    "Modifier",
    "Room",
    "TableError",
    "TablePlace",
    "modifiers_from_rows",
]

SHAPES = ("square", "round", "rect")
MODIFIER_KINDS = ("cooking", "without", "extra")
MAX_COVERS = 99
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class TableError(SaleError):
    """What a table refuses, with a code the screens translate."""


@dataclass(frozen=True)
class Room:
    room_id: str
    name: str
    position: int = 0


@dataclass(frozen=True)
class TablePlace:
    """A table where it stands: in a room, at (x, y) on a 100 x 100 grid, w x h wide."""

    table_id: str
    name: str
    room_id: str
    shape: str = "square"
    x: int = 0
    y: int = 0
    w: int = 10
    h: int = 10
    seats: int = 4

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _int_in(row: dict[str, Any], key: str, low: int, high: int, default: int) -> int:
    value = row.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise TableError("bad_floor_plan", f"{key} is a whole number from {low} to {high}")
    return value


def _ident(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not _ID.match(value):
        raise TableError(
            "bad_floor_plan", f"{key} {value!r}: 1 to 32 letters, digits, '.', '_' or '-'"
        )
    return value


@dataclass(frozen=True)
class FloorPlan:
    rooms: tuple[Room, ...] = ()
    tables: tuple[TablePlace, ...] = ()

    @classmethod
    def from_dict(cls, doc: Any) -> FloorPlan:
        """The plan as the snapshot carries it: {"rooms": [...], "tables": [...]}.
        Every fault is a `TableError("bad_floor_plan")` naming it."""
        if doc is None:
            return cls()
        if not isinstance(doc, dict):
            raise TableError("bad_floor_plan", "a floor plan is an object with rooms and tables")
        rooms: list[Room] = []
        for i, row in enumerate(doc.get("rooms") or []):
            if not isinstance(row, dict):
                raise TableError("bad_floor_plan", f"room {i + 1} is not an object")
            name = str(row.get("name") or "").strip()[:40]
            rid = _ident(row, "room_id")
            rooms.append(Room(rid, name or rid, _int_in(row, "position", 0, 999, i)))
        room_ids = {r.room_id for r in rooms}
        if len(room_ids) != len(rooms):
            raise TableError("bad_floor_plan", "two rooms have the same room_id")
        places: list[TablePlace] = []
        for i, row in enumerate(doc.get("tables") or []):
            if not isinstance(row, dict):
                raise TableError("bad_floor_plan", f"table {i + 1} is not an object")
            tid = _ident(row, "table_id")
            room = row.get("room_id")
            if room not in room_ids:
                raise TableError("bad_floor_plan", f"table {tid}: no room {room!r}")
            shape = row.get("shape", "square")
            if shape not in SHAPES:
                raise TableError("bad_floor_plan", f"table {tid}: shape is one of {SHAPES}")
            place = TablePlace(
                table_id=tid,
                name=str(row.get("name") or tid).strip()[:20] or tid,
                room_id=str(room),
                shape=str(shape),
                x=_int_in(row, "x", 0, 100, 0),
                y=_int_in(row, "y", 0, 100, 0),
                w=_int_in(row, "w", 1, 100, 10),
                h=_int_in(row, "h", 1, 100, 10),
                seats=_int_in(row, "seats", 1, MAX_COVERS, 4),
            )
            if place.x + place.w > 100 or place.y + place.h > 100:
                raise TableError("bad_floor_plan", f"table {tid} goes beyond its room (100 x 100)")
            places.append(place)
        if len({p.table_id for p in places}) != len(places):
            raise TableError("bad_floor_plan", "two tables have the same table_id")
        rooms.sort(key=lambda r: (r.position, r.room_id))
        return cls(tuple(rooms), tuple(places))

    def as_dict(self) -> dict[str, Any]:
        return {
            "rooms": [dict(r.__dict__) for r in self.rooms],
            "tables": [t.as_dict() for t in self.tables],
        }

    def table(self, table_id: str) -> TablePlace:
        for t in self.tables:
            if t.table_id == table_id:
                return t
        raise TableError("unknown_table", f"there is no table {table_id} on the floor plan")

    def in_room(self, room_id: str) -> list[TablePlace]:
        return [t for t in self.tables if t.room_id == room_id]


# -- modifiers -------------------------------------------------------------------------
@dataclass(frozen=True)
class Modifier:
    """A cooking (saignant), a without (sans oignons) or an extra (supplément
    fromage, priced), offered on the articles of `categories` (all when empty)."""

    modifier_id: str
    kind: str
    name: str
    price: int = 0
    categories: tuple[str, ...] = ()

    def applies_to(self, category: str) -> bool:
        return not self.categories or category in self.categories

    def as_line(self) -> dict[str, Any]:
        return {
            "modifier_id": self.modifier_id,
            "kind": self.kind,
            "name": self.name,
            "price": self.price,
        }


def modifiers_from_rows(rows: Any) -> dict[str, Modifier]:
    out: dict[str, Modifier] = {}
    for i, row in enumerate(rows or []):
        if not isinstance(row, dict):
            raise TableError("bad_modifier", f"modifier {i + 1} is not an object")
        mid = _ident(row, "modifier_id")
        kind = row.get("kind")
        if kind not in MODIFIER_KINDS:
            raise TableError("bad_modifier", f"modifier {mid}: kind is one of {MODIFIER_KINDS}")
        price = row.get("price", 0)
        if isinstance(price, bool) or not isinstance(price, int) or not 0 <= price <= 100_000:
            raise TableError("bad_modifier", f"modifier {mid}: a price in cents, 0 to 1000.00")
        if price and kind != "extra":
            raise TableError("bad_modifier", f"modifier {mid}: only an extra has a price")
        cats = row.get("categories") or []
        if not isinstance(cats, list):
            raise TableError("bad_modifier", f"modifier {mid}: categories is a list")
        name = str(row.get("name") or "").strip()[:40]
        if not name:
            raise TableError("bad_modifier", f"modifier {mid} has no name")
        if mid in out:
            raise TableError("bad_modifier", f"two modifiers are {mid}")
        out[mid] = Modifier(mid, str(kind), name, price, tuple(str(c) for c in cats))
    return out
