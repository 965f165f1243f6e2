"""What a kitchen order of the sale on screen carries: the lines not sent yet (or,
for a reprint, the ones sent), less the lines no kitchen or bar printer takes,
and what the store wants named on it (a table, a name).

A line's `kitchen_sent` (domain.Line) counts how many of it the kitchen has; a
line rung up 2 then 3 sends 1 more. A line whose category has no printer in
the snapshot is not sent and stays unsent: it is named to the cashier, the
others still go. A snapshot that lists no printer at all leaves the routing to
the server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from appliance.domain import Line, printers_by_category

from .client import Rejected
from .kitchenwatch import follow_job

__all__ = [
    "KITCHEN_NEEDS",
    "PRINTERS_OUT_OF_REACH",
    "OrderLine",
    "missing_on_order",
    "order_lines",
    "routed",
    "send_order",
    "unrouted_message",
]

PRINTERS_OUT_OF_REACH = (
    "kitchen and bar printers are shared through the server and are out of reach in autonomous mode"
)

#: the store's `kitchen_order` setting -> what a kitchen order must name
KITCHEN_NEEDS = ("table", "name", "table_or_name")

#: (the sale's line, or None for lines given by the caller; the ticket's line)
OrderLine = tuple[Line | None, dict[str, Any]]


def ticket_line(line: Line, quantity: int) -> dict[str, Any]:
    d = line.as_dict()
    return {**{k: d[k] for k in ("article_id", "name", "category")}, "quantity": quantity}


def order_lines(lines: Iterable[Line], reprint: bool = False) -> list[OrderLine]:
    """The sale's lines for the kitchen: what it does not have yet, or (reprint) what
    it has."""
    out: list[OrderLine] = []
    for line in lines:
        sent = min(line.kitchen_sent, line.quantity)
        quantity = sent if reprint else line.quantity - sent
        if quantity > 0:
            out.append((line, ticket_line(line, quantity)))
    return out


def routed(
    lines: list[OrderLine], printers: list[dict[str, Any]]
) -> tuple[list[OrderLine], list[OrderLine]]:
    """(the lines a kitchen or bar printer takes, the lines none does). Without any
    printer in the snapshot every line is left to the server."""
    if not printers:
        return list(lines), []
    routes = printers_by_category(printers)
    takes = [o for o in lines if str(o[1].get("category") or "") in routes]
    left = [o for o in lines if str(o[1].get("category") or "") not in routes]
    return takes, left


def unrouted_message(left: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{ln.get('name', '')}: no kitchen or bar printer takes category "
        f"{ln.get('category') or '(none)'}, not sent"
        for ln in left
    )


def missing_on_order(store: dict[str, Any], table: str | None, name: str) -> str | None:
    """The error code when the store wants a table or a name on a kitchen order and
    it has neither (`kitchen_order` in the store's settings), else None."""
    need = str(store.get("kitchen_order") or "")
    has_table, has_name = bool(str(table or "").strip()), bool(name.strip())
    if need == "table" and not has_table:
        return "table_needed"
    if need == "name" and not has_name:
        return "name_needed"
    if need == "table_or_name" and not (has_table or has_name):
        return "table_or_name_needed"
    return None


def send_order(
    reg: Any,
    table: str | None,
    covers: int | None,
    note: str,
    lines: list[dict[str, Any]] | None,
    name: str,
    reprint: bool,
) -> dict[str, Any] | None:
    """Send `reg`'s (the Register's) order tickets: lines routed to
    a direct printer configured on this till are printed by the till itself, in
    either mode; the others go to the server (only online). Without `lines`, the
    sale's lines the kitchen does not have yet, marked sent once they went;
    `reprint`: the ones it has, again, marked as a reprint on the paper."""
    devices = reg.devices()
    direct_here = devices is not None and bool(devices.direct_kitchen)
    if not reg.reaches_server() and not direct_here:
        reg.error("printers_out_of_reach", PRINTERS_OUT_OF_REACH)
        return None
    cat = reg.core.catalogue
    missing = missing_on_order(getattr(cat, "store", None) or {}, table, name)
    if missing is not None:
        what = {"table_needed": "a table", "name_needed": "a name"}.get(missing)
        what = what or "a table or a name"
        reg.error(missing, f"this store wants {what} on every kitchen order")
        return None
    with reg.lock:
        if lines is None:
            order = order_lines(reg.sale.lines, reprint)
            if not order:
                sent_any = any(ln.kitchen_sent for ln in reg.sale.lines)
                if reprint:
                    reg.error("nothing_sent", "no line of this sale went to the kitchen yet")
                elif sent_any:
                    reg.error(
                        "already_sent",
                        "the kitchen already has every line of this sale: a copy is a reprint",
                    )
                else:
                    reg.error("empty_ticket", "nothing to send to the kitchen")
                return None
        else:
            order = [(None, dict(ln)) for ln in lines]
    if not order:
        reg.error("empty_ticket", "nothing to send to the kitchen")
        return None
    order, left = routed(order, list(getattr(cat, "printers", None) or []))
    not_sent = [ln for _l, ln in left]
    if not order:
        reg.error("no_printer_for_lines", unrouted_message(not_sent), lines=not_sent)
        return None
    lines = [ln for _l, ln in order]
    job = {
        "job_id": str(uuid.uuid4()),
        "till_id": reg.till_id,
        "table": table,
        "covers": covers,
        "note": note,
        "lines": lines,
    }
    if name:
        job["name"] = name
    if reprint:
        job["reprint"] = True
    direct, rest = devices.split_kitchen(lines) if direct_here else ({}, lines)
    if direct:
        devices.print_kitchen(job, direct)
        _mark_sent(reg, order, [ln for v in direct.values() for ln in v], reprint)
        reg.core.publish(
            "kitchen_printing", job_id=job["job_id"], printers=sorted(direct),
            lines=sum(len(v) for v in direct.values()), not_sent=not_sent, reprint=reprint,
            sale=reg.sale_summary(),
        )  # fmt: skip
    if not rest:
        return {"job_id": job["job_id"], "status": "printing", "printers": sorted(direct),
                "not_sent": not_sent}  # fmt: skip
    if not reg.reaches_server():
        names = ", ".join(f"{ln.get('quantity', 1)} x {ln.get('name', '')}" for ln in rest)
        reg.error(
            "printers_out_of_reach",
            f"{PRINTERS_OUT_OF_REACH}: not sent: {names} (the lines of the printers this "
            f"till reaches itself are printed: {', '.join(sorted(direct))})",
            job_id=job["job_id"],
            lines=rest,
        )
        return None
    server_job = {**job, "lines": rest}

    def call(client: Any) -> Any:
        try:
            return client.print_job(server_job)
        except Rejected as e:  # the server's snapshot is newer than this till's
            if e.code != "no_printer":
                raise
            # said apart from the receipt printer's `no_printer`
            raise Rejected("kitchen_no_printer", e.message, e.status) from None

    answer = reg._online_call(
        "print_job",
        call,
        job_id=job["job_id"],
        not_sent=not_sent,
        reprint=reprint,
        before=lambda: _mark_sent(reg, order, rest, reprint),
    )
    if answer is not None and reg.follow_kitchen:
        follow_job(reg.api, reg.core.publish, reg.stop, job["job_id"])
    return answer if answer is None else {**answer, "not_sent": not_sent}


def _mark_sent(reg: Any, order: list[Any], went: list[dict[str, Any]], reprint: bool) -> None:
    """The sale's lines of `went` are at the kitchen now (a reprint changes nothing)."""
    if reprint:
        return
    with reg.lock:
        for line, ticket in order:
            if line is not None and any(ticket is w for w in went):
                line.kitchen_sent += int(ticket["quantity"])
