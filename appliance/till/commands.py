"""The headless console's commands, each a pydantic model of its arguments.

A command's arguments are checked before it runs: a missing one, one of the
wrong type or one the command does not take (a misspelt field) is a
`CommandError` naming the field; the console answers it with an `error` event
and goes on. docs/headless.md lists the commands.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from appliance.protocol.configfile import first_error, reason

__all__ = ["ARGUMENTS", "CommandError", "parse_arguments"]


class CommandError(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class _Args(BaseModel):
    """A command's arguments: these and no others, JSON's own types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _NoArgs(_Args):
    pass


class Login(_Args):
    #: left out: the PIN alone finds the cashier (the store's `pin_only_login`)
    cashier: str | int = ""
    pin: str | int


class Scan(_Args):
    code: str
    quantity: int = 1
    #: the id its answer carries; the console gives one (`console-N`) when left out
    request: str | None = None


class Add(_Args):
    article_id: str
    quantity: int = 1
    request: str | None = None


class _Approved(_Args):
    """An edit a manager may have to approve: their id and PIN (domain.approval)."""

    manager: str | int | None = None
    manager_pin: str | int | None = None


class CardAnswer(_Args):
    accepted: bool


class EatIn(_Args):
    on: bool


class RemovePayment(_Args):
    index: int


class Quantity(_Args):
    line: int
    quantity: int


class Price(_Approved):
    line: int
    cents: int


class Discount(_Approved):
    line: int | None = None
    cents: int | None = None
    percent: int | float | None = None


class Void(_Approved):
    line: int


class Payment(_Args):
    method: str | None = None
    amount: int | None = None


class Pay(_Args):
    """`method` (and `amount`, default: what is due), or `payments`."""

    method: str | None = None
    amount: int | None = None
    payments: list[Payment] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Pay:
        if self.payments is None and self.method is None:
            raise ValueError("missing argument 'method' (or 'payments')")
        return self


class Answer(_Args):
    question: str | None = None
    answer: str


class NewArticle(_Args):
    """`create_article` with its `article` object (the article's own fields are the
    server's to check); without it, the other arguments are the article."""

    article: dict[str, Any]


class Kitchen(_Args):
    table: str | int | None = None
    covers: int | None = None
    note: str | None = None
    lines: list[Any] | None = None
    name: str | None = None
    reprint: bool | None = None


class TableCommand(_Args):
    """`table` with its `action` (till/tables.py: floor, show, open, covers, order,
    void, send, reprint, move, merge, assign, split, take, pay, close) and the
    action's own arguments."""

    action: str
    table_id: str | int = ""
    covers: int | None = None
    article_id: str | None = None
    quantity: int | None = None
    course: int | None = None
    modifiers: list[str] | None = None
    note: str | None = None
    line_id: str | None = None
    guest: int | None = None
    shares: int | None = None
    method: str | None = None
    amount: int | None = None
    to: str | int | None = None
    other: str | int | None = None
    round: int | None = None

    def call_args(self) -> dict[str, Any]:
        """The action's arguments, as given (table ids as text)."""
        given = self.model_dump(exclude_unset=True, exclude={"action", "table_id"})
        return {k: str(v) if k in ("to", "other") else v for k, v in given.items()}


class RefundCommand(_Args):
    """`refund` with its `action`: find (`ticket`), refund (`lines` {line: quantity},
    `method` original, cash or card, a `manager` and `pin` above the threshold), cancel."""

    action: str
    ticket: str | int | None = None
    lines: dict[str, int] | None = None
    method: str | None = None
    manager: str | None = None
    pin: str | None = None


class HeldCommand(_Args):
    """`held` with its `action`: park (`note`), list, resume or discard (`held_id`)."""

    action: str
    held_id: str | None = None
    note: str | None = None


class CashCommand(_Args):
    """`cash` with its `action`: float (`amount`), in or out (`amount`, `reason`), count
    (`counted` {denomination in cents: pieces}), expected; a manager's `manager` and
    `pin` for out and count when the cashier is none. The count's pieces are checked by
    the till (`bad_count`), as typed."""

    action: str
    amount: int | str | None = None
    reason: str | None = None
    counted: dict[str, int | str] | None = None
    manager: str | None = None
    pin: str | None = None


class PriceCheck(_Args):
    query: str


class OpenDrawer(_Args):
    reason: str | None = ""


class SimScan(_Args):
    code: str


ARGUMENTS: dict[str, type[_Args]] = {
    "login": Login,
    "logout": _NoArgs,
    "scan": Scan,
    "add": Add,
    "qty": Quantity,
    "price": Price,
    "discount": Discount,
    "void": Void,
    "cancel": _Approved,
    "remove_payment": RemovePayment,
    "eat_in": EatIn,
    "card_answer": CardAnswer,
    "pay": Pay,
    "answer": Answer,
    "create_article": NewArticle,
    "kitchen": Kitchen,
    "table": TableCommand,
    "refund": RefundCommand,
    "held": HeldCommand,
    "cash": CashCommand,
    "price_check": PriceCheck,
    "status": _NoArgs,
    "upload": _NoArgs,
    "reprint": _NoArgs,
    "open_drawer": OpenDrawer,
    "devices": _NoArgs,
    "sim_scan": SimScan,
}


def parse_arguments(cmd: str, args: dict[str, Any]) -> Any:
    """The arguments of `cmd` (the line without "cmd"), checked by its model; a
    null is an argument left out. CommandError `bad_argument` naming the field."""
    model = ARGUMENTS[cmd]
    given = {k: v for k, v in args.items() if k != "cmd" and v is not None}
    if model is NewArticle and "article" not in given:
        given = {"article": {k: v for k, v in args.items() if k != "cmd"}}
    try:
        return model.model_validate(given)
    except ValidationError as e:
        loc, error = first_error(e)
        field = ".".join(map(str, loc))
        why = reason(error)
        if not loc:  # the command as a whole
            message = why
        elif why == "missing":
            message = f"missing argument {field!r}"
        elif why == "unknown key":
            takes = ", ".join(model.model_fields) or "no argument"
            message = f"unknown argument {field!r}: {cmd} takes {takes}"
        else:
            message = f"{field!r} has the wrong type: {why}"
        raise CommandError("bad_argument", f"{cmd}: {message}", field) from None
