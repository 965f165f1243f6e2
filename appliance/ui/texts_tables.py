"""The cashier's words for the restaurant's tables: the refusals (an `error` event's
code) and what a till hears of its tables once the server is back. No Kivy here."""

from __future__ import annotations

from typing import Any

from .i18n import _, ngettext

__all__ = ["table_news", "table_text"]


def table_text(code: str, table: str) -> str | None:
    """The cashier's words for a table's refusal (None: not a table's)."""
    texts = {
        "table_closed": _("Table {table} is already closed: nothing was changed."),
        "table_not_open": _("Table {table} is not open on this till."),
        "table_open": _("Table {table} is already open on this till."),
        "table_elsewhere": _("Table {table} is held by another till: take it over first."),
        "table_occupied": _("Table {table} is already open on another till."),
        "table_paying": _(
            "Table {table} is being paid on another till: it cannot be taken over now."
        ),
        "table_taken_over": _("Table {table} was taken over by another till."),
        "take_needs_server": _("A table is taken over through the store server: not now."),
        "nothing_to_send": _("Table {table}: nothing new to send to the kitchen."),
        "nothing_to_pay": _("Table {table}: nothing left to pay for this guest."),
        "line_sent": _("This dish went to the kitchen: it cannot be taken off here."),
        "bad_covers": _("Covers are a whole number from 1 to 99."),
        "unknown_table": _("There is no table {table} on the floor plan."),
        "split_equally": _("This bill is split equally: pay it share by share."),
    }
    text = texts.get(code)
    return None if text is None else text.format(table=table)


def table_news(ev: dict[str, Any]) -> tuple[str, str] | None:
    """(text, level) of a table event the cashier must hear of, else None."""
    name = ev.get("event")
    tab = ev.get("table") if isinstance(ev.get("table"), dict) else {}
    table = str(ev.get("table_id") or tab.get("table_id") or "")
    if name == "table_taken_over":
        added = int(ev.get("added") or 0)
        text = _("Table {table} was taken over by till {holder}.").format(
            table=table, holder=ev.get("holder")
        )
        if added:
            text += " " + ngettext(
                "The line rung up here while the server was away was added to it there.",
                "The {n} lines rung up here while the server was away were added to it there.",
                added,
            ).format(n=added)
        return text, "warning"
    if name == "table_conflict":
        if ev.get("code") == "table_occupied":
            text = _(
                "Table {table} was opened on another till while this one was alone: "
                "move this bill to a free table."
            )
        else:
            text = _(
                "Table {table} was paid on another till while this one was alone: the lines "
                "rung up here are kept as a bill of their own."
            )
        return text.format(table=table), "warning"
    return None
