"""The cashier's words for cash control: its refusals (an `error` event's code, when
the event names a cash `action`) and its lines of the X report. No Kivy here."""

from __future__ import annotations

from typing import Any

from appliance.domain.cash import ACTIONS

from .i18n import _, label_value, money

__all__ = ["cash_lines", "cash_text"]


def cash_text(code: str, event: dict[str, Any]) -> str | None:
    """The cashier's words for a cash movement's or count's refusal (None: not one)."""
    if event.get("action") not in ACTIONS:  # a sale's edit names its action too
        return None
    texts = {
        "bad_count": _("A count is a whole number of pieces for each note or coin: nothing "
                       "was recorded."),
        "bad_cash_amount": _("Type an amount above 0 first."),
        "reason_needed": _("Say why cash goes in or out."),
        "manager_needed": _("Taking cash out and counting the drawer need a manager."),
        "manager_refused": _("Not a manager, or a wrong PIN: nothing was recorded."),
        "outbox_write_failed": _("The till's disk refused to write: nothing was recorded."),
    }  # fmt: skip
    return texts.get(code)


def cash_lines(report: dict[str, Any]) -> list[str]:
    """The drawer's account in an X report: float, cash in and out, expected, counted."""
    lines = [
        label_value(_("Opening float"), money(int(report.get("float") or 0))),
        label_value(_("Cash in"), money(int(report.get("cash_in") or 0))),
        label_value(_("Cash out"), money(-int(report.get("cash_out") or 0))),
        label_value(_("Expected in the drawer"), money(int(report.get("expected_cash") or 0))),
    ]
    counted = report.get("counted_cash")
    if counted is not None:
        lines.append(label_value(_("Counted"), money(int(counted))))
        diff = int(report.get("cash_difference") or 0)
        lines.append(label_value(_("Difference"), ("+" if diff > 0 else "") + money(diff)))
    return lines
