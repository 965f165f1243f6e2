"""The headless till: one JSON command a line on stdin, one JSON event a line on stdout.

The integrator's test console and the test suite's driver; docs/headless.md
lists every command and event. A line that cannot be understood gets an
`error` event, never a crash.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import IO, Any

from .commands import CommandError, parse_arguments
from .session import Till

__all__ = ["COMMANDS", "Console", "CommandError"]

log = logging.getLogger(__name__)


def _pay(t: Till, a: Any) -> None:
    if a.payments is not None:
        t.pay(payments=[p.model_dump(exclude_unset=True) for p in a.payments])
    else:
        t.pay(a.method, a.amount)


def _manager(a: Any) -> dict[str, str] | None:
    """The manager's approval given with an edit (`manager` id and `manager_pin`)."""
    if a.manager is None:
        return None
    return {"manager_id": str(a.manager), "pin": str(a.manager_pin or "")}


def _sim_scan(t: Till, a: Any) -> None:
    scanner = getattr(getattr(t.devices, "sim", None), "scanner", None)
    if scanner is None:
        raise CommandError("no_sim_scanner", "this till has no simulated scanner (devices.toml)")
    scanner.scan(a.code)


#: each command, given the till and its arguments checked (appliance.till.commands)
COMMANDS: dict[str, Callable[[Till, Any], Any]] = {
    "login": lambda t, a: t.login(str(a.cashier), str(a.pin)),
    "logout": lambda t, a: t.logout(),
    "scan": lambda t, a: t.scan(a.code, a.quantity, request=a.request),
    "add": lambda t, a: t.add(a.article_id, a.quantity, request=a.request),
    "qty": lambda t, a: t.set_quantity(a.line, a.quantity),
    "price": lambda t, a: t.set_price(a.line, a.cents, _manager(a)),
    "discount": lambda t, a: t.discount(
        a.line, cents=a.cents, percent=a.percent, manager=_manager(a)
    ),
    "void": lambda t, a: t.void(a.line, _manager(a)),
    "cancel": lambda t, a: t.cancel(_manager(a)),
    "remove_payment": lambda t, a: t.remove_payment(a.index),
    "eat_in": lambda t, a: t.set_eat_in(a.on),
    "card_answer": lambda t, a: t.card_answer(a.accepted),
    "pay": _pay,
    "answer": lambda t, a: t.answer(a.question, a.answer),
    "create_article": lambda t, a: t.create_article(dict(a.article)),
    "kitchen": lambda t, a: t.kitchen(
        table=None if a.table is None else str(a.table),
        covers=a.covers,
        note=a.note or "",
        lines=a.lines,
        name=a.name or "",
        reprint=bool(a.reprint),
    ),
    "table": lambda t, a: t.table(a.action, str(a.table_id), **a.call_args()),
    "refund": lambda t, a: t.refund(a.action, **a.model_dump(exclude={"action"})),
    "price_check": lambda t, a: t.price_check(a.query),
    "held": lambda t, a: t.hold(a.action, **a.model_dump(exclude={"action"})),
    "cash": lambda t, a: t.cash(a.action, **a.model_dump(exclude={"action"}, exclude_none=True)),
    "status": lambda t, a: t.status(),
    "upload": lambda t, a: t.upload(),
    "reprint": lambda t, a: t.reprint_last(),
    "open_drawer": lambda t, a: t.open_drawer(a.reason or ""),
    "devices": lambda t, a: t.device_status(),
    "sim_scan": _sim_scan,
}


class Console:
    """Wires a Till to a pair of text streams."""

    def __init__(self, till: Till, out: IO[str]) -> None:
        self.till = till
        self.out = out
        self._lock = threading.Lock()
        self._requests = 0
        till.subscribe(self.emit)

    def emit(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, default=str, ensure_ascii=False)
        with self._lock:
            try:
                self.out.write(line + "\n")
                self.out.flush()
            except (OSError, ValueError):
                pass  # nobody reads us any more; the till goes on

    def handle(self, line: str) -> bool:
        """Run one command line; False when it was `quit`."""
        line = line.strip()
        if not line:
            return True
        try:
            args = json.loads(line)
        except ValueError as e:
            self.emit({"event": "error", "code": "bad_command", "message": f"not JSON: {e}"})
            return True
        if not isinstance(args, dict) or not isinstance(args.get("cmd"), str):
            self.emit(
                {"event": "error", "code": "bad_command", "message": 'a command is {"cmd": ...}'}
            )
            return True
        cmd = args["cmd"]
        if cmd == "quit":
            return False
        run = COMMANDS.get(cmd)
        if run is None:
            known = ", ".join(sorted([*COMMANDS, "quit"]))
            self.emit(
                {
                    "event": "error",
                    "code": "unknown_command",
                    "cmd": cmd,
                    "message": f"known: {known}",
                }
            )
            return True
        try:
            parsed = parse_arguments(cmd, args)
            if cmd in ("scan", "add") and parsed.request is None:
                # like the UI's and the scanner's: the answer names the request
                self._requests += 1
                parsed = parsed.model_copy(update={"request": f"console-{self._requests}"})
            run(self.till, parsed)
        except CommandError as e:
            error = {"event": "error", "code": e.code, "cmd": cmd, "message": e.message}
            self.emit(error if e.field is None else {**error, "field": e.field})
        except Exception as e:  # a command never kills the till
            log.exception("command %s failed", cmd)
            self.emit({"event": "error", "code": "internal", "cmd": cmd, "message": repr(e)})
        return True

    def run(self, lines: Iterable[str]) -> None:
        for line in lines:
            if not self.handle(line):
                break
