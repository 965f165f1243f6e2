"""A restaurant's tables: the floor plan, the modifiers of a dish, and the bill of an
open table (its rounds, courses, splits and the guests' parts).

No I/O. The floor plan and the modifiers come from the snapshot; an open table
(`Tab`) is a plain dict on the wire and on the till's disk (`as_dict`,
`Tab.from_dict`). A part of the bill is paid as an ordinary sale (`part_sale`):
the sale's record carries the table it pays (`table`), inside the hash chain.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from .floorplan import (
    MAX_COVERS,
    MODIFIER_KINDS,
    SHAPES,
    FloorPlan,
    Modifier,
    Room,
    TableError,
    TablePlace,
    modifiers_from_rows,
)
from .sale import Line, Sale

__all__ = [
    "COURSES",
    "MODIFIER_KINDS",
    "SHAPES",
    "FloorPlan",
    "Modifier",
    "OrderLine",
    "Room",
    "Tab",
    "TablePlace",
    "TableError",
    "TableSale",
    "equal_shares",
    "modifiers_from_rows",
]

#: 0: sent at once (drinks), then the courses the kitchen is told to fire in turn
COURSES = {0: "direct", 1: "starter", 2: "main", 3: "dessert"}
MAX_NOTE = 120


# -- an open table -------------------------------------------------------------------------
@dataclass
class OrderLine:
    line_id: str
    article_id: str
    name: str
    unit_price: int
    quantity: int
    vat_bp: int
    category: str = ""
    course: int = 0
    modifiers: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    #: the round it went to the kitchen in (None: not sent yet)
    sent_round: int | None = None
    #: the guest it is for in a split by item (None: the table's)
    guest: int | None = None
    #: the sale that paid it
    paid_by: str | None = None

    @property
    def extras(self) -> int:
        return sum(int(m.get("price") or 0) for m in self.modifiers)

    @property
    def gross(self) -> int:
        return (self.unit_price + self.extras) * self.quantity

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "modifiers": [dict(m) for m in self.modifiers]}

    def sale_lines(self) -> list[Line]:
        """The article, then each priced extra as a line of its own (same VAT, same
        category): the sale record keeps its one shape."""
        lines = [
            Line(
                self.article_id, self.name, self.unit_price, self.quantity, self.vat_bp,
                self.category,
            )
        ]  # fmt: skip
        for m in self.modifiers:
            if m.get("price"):
                lines.append(
                    Line(
                        f"extra:{m['modifier_id']}", f"+ {m['name']}", int(m["price"]),
                        self.quantity, self.vat_bp, self.category,
                    )
                )  # fmt: skip
        return lines

    def kitchen_line(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "name": self.name,
            "quantity": self.quantity,
            "category": self.category,
            "course": COURSES.get(self.course, str(self.course)),
            "modifiers": [m["name"] for m in self.modifiers],
            "note": self.note,
        }


def equal_shares(total: int, parts: int) -> list[int]:
    """`total` cut into `parts` shares that add up to it exactly, the first ones a
    cent more when it does not fall even."""
    if isinstance(parts, bool) or not isinstance(parts, int) or not 1 <= parts <= MAX_COVERS:
        raise TableError("bad_split", f"a bill is split in 1 to {MAX_COVERS} equal parts")
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


class TableSale(Sale):
    """The sale that pays a part of a table: its record carries `table`."""

    def __init__(self, table: dict[str, Any], **kw: Any) -> None:
        super().__init__(**kw)
        self.table = table


@dataclass
class Tab:
    """The bill of a table from its opening to its last payment."""

    table_id: str
    opening: str
    covers: int
    opened_at: str
    lines: list[OrderLine] = field(default_factory=list)
    rounds: int = 0
    #: the equal split in force (number of shares), 0 when none
    shares: int = 0
    #: the sale ids that paid the table's parts, in order
    paid: list[str] = field(default_factory=list)
    closed: bool = False

    @classmethod
    def open(cls, table_id: str, covers: int, opened_at: str) -> Tab:
        _check_covers(covers)
        return cls(table_id, str(uuid.uuid4()), covers, opened_at)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Tab:
        try:
            lines = [OrderLine(**ln) for ln in doc.get("lines") or []]
            return cls(
                table_id=str(doc["table_id"]),
                opening=str(doc["opening"]),
                covers=int(doc["covers"]),
                opened_at=str(doc["opened_at"]),
                lines=lines,
                rounds=int(doc.get("rounds") or 0),
                shares=int(doc.get("shares") or 0),
                paid=[str(s) for s in doc.get("paid") or []],
                closed=bool(doc.get("closed")),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise TableError("bad_table", f"not an open table: {e}") from None

    def as_dict(self) -> dict[str, Any]:
        return {
            "table_id": self.table_id,
            "opening": self.opening,
            "covers": self.covers,
            "opened_at": self.opened_at,
            "lines": [ln.as_dict() for ln in self.lines],
            "rounds": self.rounds,
            "shares": self.shares,
            "paid": list(self.paid),
            "closed": self.closed,
        }

    # -- ordering ------------------------------------------------------------------
    def _check_open(self) -> None:
        if self.closed:
            raise TableError("table_closed", f"table {self.table_id} is closed")

    def _check_unpaid(self) -> None:
        self._check_open()
        if self.paid:
            raise TableError("payment_started", f"table {self.table_id} is being paid")

    def set_covers(self, covers: int) -> None:
        self._check_open()
        _check_covers(covers)
        self.covers = covers

    def add(
        self,
        article: dict[str, Any],
        quantity: int = 1,
        *,
        course: int = 0,
        modifiers: list[Modifier] | None = None,
        note: str = "",
    ) -> OrderLine:
        """A dish or a drink on the table: `article` as the catalogue has it."""
        self._check_unpaid()
        if course not in COURSES:
            raise TableError("bad_course", f"a course is one of {sorted(COURSES)}")
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            raise TableError("bad_note", f"a note is a text of at most {MAX_NOTE} characters")
        category = str(article.get("category") or "")
        mods = list(modifiers or [])
        for m in mods:
            if not m.applies_to(category):
                raise TableError(
                    "bad_modifier", f"{m.name} is not offered on {article.get('name', '')}"
                )
        line = OrderLine(
            line_id=str(uuid.uuid4()),
            article_id=str(article["article_id"]),
            name=str(article.get("name") or ""),
            unit_price=int(article["price"]),
            quantity=quantity,
            vat_bp=int(article["vat_bp"]),
            category=category,
            course=course,
            modifiers=[m.as_line() for m in mods],
            note=note.strip(),
        )
        line.sale_lines()  # the same checks as a sale's line (price, quantity)
        self.lines.append(line)
        return line

    def line(self, line_id: str) -> OrderLine:
        for ln in self.lines:
            if ln.line_id == line_id:
                return ln
        raise TableError("no_such_line", f"table {self.table_id} has no such line")

    def void(self, line_id: str) -> OrderLine:
        """Take off a line the kitchen has not been sent."""
        self._check_unpaid()
        ln = self.line(line_id)
        if ln.sent_round is not None:
            raise TableError("line_sent", f"{ln.name} went to the kitchen in round {ln.sent_round}")
        self.lines.remove(ln)
        return ln

    def unsent(self, course: int | None = None) -> list[OrderLine]:
        return [
            ln
            for ln in self.lines
            if ln.sent_round is None and (course is None or ln.course in (0, course))
        ]

    def send(self, course: int | None = None) -> tuple[int, list[OrderLine]]:
        """The next round: the lines not sent yet (of `course` and the drinks, when
        given; the mains wait), marked with the round's number."""
        self._check_open()
        lines = self.unsent(course)
        if not lines:
            raise TableError("nothing_to_send", f"table {self.table_id}: nothing new to send")
        self.rounds += 1
        for ln in lines:
            ln.sent_round = self.rounds
        return self.rounds, lines

    def round_lines(self, number: int) -> list[OrderLine]:
        lines = [ln for ln in self.lines if ln.sent_round == number]
        if not lines:
            raise TableError("no_such_round", f"table {self.table_id} has no round {number}")
        return lines

    # -- moving ---------------------------------------------------------------------
    def move_to(self, table_id: str) -> None:
        self._check_open()
        self.table_id = table_id

    def merge(self, other: Tab) -> None:
        """`other`'s lines and covers onto this table (`other` is then closed)."""
        self._check_unpaid()
        other._check_unpaid()
        if other.opening == self.opening:
            raise TableError("same_table", "a table cannot be merged with itself")
        self.lines.extend(other.lines)
        self.covers = min(self.covers + other.covers, MAX_COVERS)
        self.rounds = max(self.rounds, other.rounds)
        other.lines = []
        other.closed = True

    # -- the bill ---------------------------------------------------------------------
    @property
    def total(self) -> int:
        return sum(ln.gross for ln in self.lines)

    @property
    def due(self) -> int:
        return sum(ln.gross for ln in self.lines if ln.paid_by is None)

    def assign(self, line_id: str, guest: int | None, quantity: int | None = None) -> OrderLine:
        """A split by item: line `line_id` (or `quantity` of it, cut off as a line of
        its own) is for `guest`. Returns the line so assigned."""
        self._check_open()
        if self.shares:
            raise TableError("split_equally", "this bill is split equally: cancel that first")
        if guest is not None and (isinstance(guest, bool) or not 1 <= int(guest) <= MAX_COVERS):
            raise TableError("bad_guest", f"a guest is numbered 1 to {MAX_COVERS}")
        ln = self.line(line_id)
        if ln.paid_by is not None:
            raise TableError("line_paid", f"{ln.name} is paid")
        if quantity is not None and quantity != ln.quantity:
            if isinstance(quantity, bool) or not 1 <= quantity < ln.quantity:
                raise TableError("bad_quantity", f"1 to {ln.quantity - 1} of {ln.name}")
            part = OrderLine(**{**ln.as_dict(), "line_id": str(uuid.uuid4())})
            part.quantity, ln.quantity = quantity, ln.quantity - quantity
            self.lines.insert(self.lines.index(ln) + 1, part)
            ln = part
        ln.guest = guest
        return ln

    def split_equally(self, shares: int) -> list[int]:
        """The shares of an equal split (0: none). Only before any payment."""
        self._check_unpaid()
        if shares == 0:
            self.shares = 0
            return []
        amounts = equal_shares(self.total, shares)
        self.shares = shares
        return amounts

    def guests(self) -> list[int]:
        return sorted({ln.guest for ln in self.lines if ln.guest and ln.paid_by is None})

    def part_lines(self, guest: int | None) -> list[OrderLine]:
        """What guest `guest` pays in a split by item; None: everything not paid yet."""
        self._check_open()
        lines = [
            ln for ln in self.lines if ln.paid_by is None and (guest is None or ln.guest == guest)
        ]
        if not lines:
            who = "the table" if guest is None else f"guest {guest}"
            raise TableError("nothing_to_pay", f"table {self.table_id}: nothing left for {who}")
        return lines

    def part_sale(self, guest: int | None = None) -> TableSale:
        """The sale of a part: a guest's items, or all that is left (an equal split is
        the whole bill, paid in as many payments as there are shares)."""
        if self.shares and guest is not None:
            raise TableError("split_equally", "an equal split is paid as one bill, in shares")
        lines = self.part_lines(guest)
        tag: dict[str, Any] = {
            "table_id": self.table_id,
            "opening": self.opening,
            "part": "all" if guest is None else f"guest-{guest}",
            "covers": self.covers,
            "line_ids": [ln.line_id for ln in lines],
        }
        if self.shares:
            tag["shares"] = self.shares
        sale = TableSale(tag)
        for ln in lines:
            for sl in ln.sale_lines():
                sale.add_line(sl)
        return sale

    def paid_with(self, record: dict[str, Any]) -> None:
        """Mark the lines a closed sale's record paid; the table closes with its last.
        Taking the same record twice changes nothing."""
        tag = record.get("table") or {}
        if tag.get("opening") != self.opening:
            raise TableError("other_table", "this sale paid another table")
        sale_id = str(record["sale_id"])
        if sale_id in self.paid:
            return
        self._check_open()
        ids = set(tag.get("line_ids") or [])
        for ln in self.lines:
            if ln.line_id in ids and ln.paid_by is None:
                ln.paid_by = sale_id
        self.paid.append(sale_id)
        if all(ln.paid_by is not None for ln in self.lines):
            self.closed = True

    def close_empty(self) -> None:
        """Close a table with nothing on it (guests who left before ordering)."""
        self._check_open()
        if any(ln.paid_by is None for ln in self.lines):
            raise TableError("table_not_paid", f"table {self.table_id}: {self.due} c still due")
        self.closed = True


def _check_covers(covers: Any) -> None:
    if isinstance(covers, bool) or not isinstance(covers, int) or not 1 <= covers <= MAX_COVERS:
        raise TableError("bad_covers", f"covers are a whole number from 1 to {MAX_COVERS}")
