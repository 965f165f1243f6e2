"""Kitchen and bar order tickets, as a kitchen reads them from across the pass.

    doc = kitchen_ticket(job, printer_name="Cuisine", lines=job["lines"],
                         printed_at=datetime.now().astimezone(), till_name="Caisse 2")

`job` is a print job as tills send it (`job_id`, `table`, `covers`, `note`,
`lines`); `lines` are the ones this station prints (the route), each
`{"name", "quantity", "note"?}`. The ticket: the station's name in reverse,
the table in large type, covers, till and time to the minute, the job's short
number, then each line with its quantity in double size (a long name wraps
under itself, not under the quantity), a line's own note under it, the
order's note, a cut. A job's `name` (a customer's, taken away) is printed under
the table. A copy sent after an uncertain print, or a job marked `reprint`,
carries a banner (`banner="COPIE"`, or `Document.with_banner`). Text is French.
"""

from __future__ import annotations

import re
import textwrap
from datetime import datetime
from typing import Any

from .document import BIG, BOLD, Document, DocumentBuilder, Style
from .render import PAPER_80MM, Paper

__all__ = ["COPY_BANNER", "kitchen_ticket", "short_number"]

#: The banner of a ticket printed again (a copy: the first one may be on the pass already).
COPY_BANNER = "COPIE"

STATION = Style(bold=True, width=2, height=2, invert=True)
LINE = Style(bold=True, width=2, height=2)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def short_number(job_id: str) -> str:
    """The job's number as the kitchen calls it: a UUID's first 8 digits, upper case;
    another id as it is if short, else its last 8 characters."""
    if _UUID.match(job_id):
        return job_id[:8].upper()
    return job_id if len(job_id) <= 10 else job_id[-8:]


def _quantity_lines(quantity: int, name: str, columns: int) -> list[str]:
    """`2 x Croque-monsieur` wrapped to the double-width columns, the name's next
    lines under the name."""
    prefix = f"{quantity} x "
    indent = " " * len(prefix)
    room = max(8, columns - len(prefix))
    parts = textwrap.wrap(" ".join(name.split()), room) or [""]
    return [prefix + parts[0], *(indent + p for p in parts[1:])]


def kitchen_ticket(
    job: dict[str, Any],
    *,
    printer_name: str,
    lines: list[dict[str, Any]],
    printed_at: datetime,
    till_name: str = "",
    paper: Paper = PAPER_80MM,
    banner: str = "",
    kind: str = "kitchen",
) -> Document:
    """The order ticket of one station (kitchen or bar) for the lines routed to it."""
    if not lines:
        raise ValueError("a kitchen ticket has at least one line")
    b = DocumentBuilder(kind)
    if banner:
        b.text(banner, "center", BIG)
    b.text(printer_name, "center", STATION)
    table, name = job.get("table"), str(job.get("name") or "").strip()
    if table not in (None, "") or not name:
        b.text(f"Table {table}" if table not in (None, "") else "Sans table", "center", BIG)
    if name:
        b.text(f"Pour : {name}", "center", BIG)
    covers = job.get("covers")
    if covers:
        b.text(f"Couverts : {covers}", style=BOLD)
    b.columns(till_name, printed_at.strftime("%d/%m/%Y %H:%M"))
    b.text(f"Commande n° {short_number(str(job['job_id']))}")
    b.rule()
    half = max(1, paper.columns // LINE.width)
    for line in lines:
        quantity = int(line.get("quantity", 1))
        for text in _quantity_lines(quantity, str(line["name"]), half):
            b.text(text, style=LINE)
        note = str(line.get("note") or "").strip()
        if note:
            b.text(f"     > {note}", style=BOLD)
    b.rule()
    note = str(job.get("note") or "").strip()
    if note:
        b.text(f"Note : {note}", style=Style(bold=True, height=2))
        b.rule()
    b.cut()
    return b.build()
