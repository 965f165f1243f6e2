"""What the screens say, in the cashier's words and language (no Kivy).

The core's events carry English messages meant for the log and the
integrator; the screen says the same thing through these functions, by the
event's `code` or question `id`, and falls back on the core's message for a
code it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .i18n import _, money, ngettext
from .texts_cash import cash_text
from .texts_refunds import refund_text
from .texts_tables import table_text

__all__ = [
    "Choice",
    "QuestionText",
    "describe_error",
    "not_sent_text",
    "mode_name",
    "question_text",
    "update_tag",
    "update_text",
]


def mode_name(mode: str) -> str:
    return {
        "BOOT": _("Starting"),
        "DISCOVERING": _("Looking for the server"),
        "ONLINE": _("Online"),
        "ASK_AUTONOMOUS": _("Server lost"),
        "ASK_UPLOAD": _("Server back"),
        "SYNCING": _("Sending sales"),
        "AUTONOMOUS": _("Autonomous"),
    }.get(mode, mode)


def update_tag(update: dict[str, Any] | None) -> str:
    """The status bar's word on the last update: empty unless it did not take."""
    result = (update or {}).get("result")
    if result == "rolled_back":
        return _("Update rolled back")
    if result == "failed":
        return _("Update failed")
    return ""


def update_text(update: dict[str, Any]) -> str:
    """The message line's sentence for an update that did not take, with its reason."""
    reason = str(update.get("reason") or "")
    if update.get("result") == "rolled_back":
        text = _("The update did not start properly: this till went back to its previous system.")
    else:
        text = _("The update was not installed: this till keeps its current system.")
    return f"{text} {reason}".strip()


@dataclass(frozen=True)
class Choice:
    answer: str
    label: str
    consequence: str


@dataclass(frozen=True)
class QuestionText:
    id: str
    title: str
    question: str
    choices: tuple[Choice, ...]


def question_text(event: dict[str, Any]) -> QuestionText:
    """The two questions the till asks, each choice with what it does."""
    qid = str(event.get("id"))
    n = int(event.get("pending") or 0)
    if qid == "go_autonomous":
        return QuestionText(
            qid,
            _("The store server does not answer."),
            _("Work in autonomous mode?"),
            (
                Choice(
                    "yes",
                    _("Yes, work in autonomous mode"),
                    _(
                        "You go on selling with last night's catalogue. Sales stay on this "
                        "till ({n} waiting now) until the server is back and you send them. "
                        "No new articles can be created; kitchen and bar printers cannot be "
                        "reached."
                    ).format(n=n),
                ),
                Choice(
                    "retry",
                    _("Retry"),
                    _("The till looks for the server again. The sale on screen is kept."),
                ),
            ),
        )
    if qid == "send_sales":
        if n:
            ask = ngettext(
                "Send the {n} sale waiting on this till now?",
                "Send the {n} sales waiting on this till now?",
                n,
            ).format(n=n)
        else:
            ask = _("Go back online now?")
        return QuestionText(
            qid,
            _("The store server is back."),
            ask,
            (
                Choice(
                    "send",
                    _("Send now"),
                    _(
                        "The sales go to the server now, a bar shows how far; then the till "
                        "works online again."
                    ),
                ),
                Choice(
                    "later",
                    _("Later"),
                    _(
                        "The till stays in autonomous mode and keeps the sales. You will be "
                        'asked again at the next start; "Send sales" sends them any time.'
                    ),
                ),
            ),
        )
    choices = tuple(
        Choice(str(c), str(c), str((event.get("consequences") or {}).get(c, "")))
        for c in event.get("choices") or ()
    )
    return QuestionText(qid, str(event.get("text") or qid), "", choices)


def not_sent_text(lines: list[dict[str, Any]]) -> str:
    """The lines of a kitchen order that no kitchen or bar printer takes, each named."""
    return " ".join(
        _("{name}: no kitchen or bar printer — not sent.").format(name=ln.get("name", ""))
        for ln in lines
    )


def describe_error(event: dict[str, Any]) -> str:
    """An `error` event for the cashier."""
    code = str(event.get("code") or "")
    if code == "no_printer_for_lines" and event.get("lines"):
        return not_sent_text(list(event["lines"]))
    message = str(event.get("message") or code)
    table = table_text(code, str(event.get("table_id") or ""))
    if table is not None:
        return table
    # a sale's edit a manager approves names its `action`; a refund's does not
    refund = cash_text(code, event) or (None if event.get("action") else refund_text(code, event))
    if refund is not None:
        return refund
    texts = {
        "bad_login": _("Wrong PIN, or unknown cashier."),
        "pin_locked": _("Too many wrong PINs: wait {s} s before the next try.").format(
            s=event.get("wait_s", "")
        ),
        "pin_ambiguous": _("This PIN is not one cashier's: touch your name."),
        "not_logged_in": _("Log in first."),
        "not_ready": _("Looking for the store server, one moment."),
        "question_pending": _("Answer the question first."),
        "unknown_barcode": _("Unknown barcode."),
        "unknown_article": _("Unknown article."),
        "bad_barcode": _("Type a barcode first."),
        "no_snapshot": _("No catalogue on this till yet: waiting for the store server."),
        "bad_quantity": _("A quantity is a whole number from 1 to 9999."),
        "bad_price": _("A price is an amount from 0 to 100,000 €."),
        "bad_discount": _("A discount is between 0 and what it reduces."),
        "no_such_line": _("Choose a line of the ticket first."),
        "no_such_payment": _("Choose a payment line first."),
        "manager_needed": _("A manager must approve this."),
        "manager_refused": _("Not a manager's PIN: nothing was changed."),
        "cancel_not_recorded": _(
            "The cancel could not be recorded on this till: the sale stays. Call support."
        ),
        "payment_started": _("A payment was taken: the lines cannot change any more."),
        "empty_sale": _("The ticket is empty."),
        "already_paid": _("This sale is already paid."),
        "overpayment": _("A card or cheque cannot pay more than what is due."),
        "bad_amount": _("That amount cannot be taken."),
        "server_unreachable": _("The store server does not answer."),
        "autonomous_no_article_creation": _(
            "No article can be created in autonomous mode: articles are created on the "
            "store server. Wait until it is back."
        ),
        "printers_out_of_reach": _(
            "Kitchen and bar printers are shared through the store server: out of reach "
            "in autonomous mode."
        ),
        "not_online": _("This needs the store server."),
        "empty_ticket": _("Nothing to send to the kitchen."),
        "kitchen_no_printer": _(
            "The store server knows no kitchen or bar printer for some of these articles: "
            "nothing was sent."
        ),
        "already_sent": _(
            "The kitchen already has every line of this ticket. For a copy, touch Reprint."
        ),
        "nothing_sent": _("Nothing of this ticket was sent to the kitchen yet."),
        "table_needed": _("Type the table number first."),
        "name_needed": _("Type the customer's name first."),
        "table_or_name_needed": _("Type a table number or the customer's name first."),
        "cannot_upload_now": _("Sales cannot be sent right now."),
        "no_server": _("No store server known yet."),
        "upload_interrupted": _("Sending stopped: nothing is lost, the sales stay on this till."),
        "outbox_write_failed": _(
            "The sale could NOT be saved (the till's disk?): it stays open. Call support, "
            "then pay again."
        ),
        "article_exists": _("An article with this code or barcode already exists."),
        "managers_only": _("Only a manager can do this."),
        "no_device": _("This till has no such device."),
    }
    text = texts.get(code)
    if text is None:
        return message
    if code in ("unknown_barcode", "unknown_article") and event.get("key"):
        return f"{text} ({event['key']})"
    return text


def change_text(cents: int) -> str:
    return _("Change: {amount}").format(amount=money(cents))
