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

from .session import Till

__all__ = ["COMMANDS", "Console", "CommandError"]

log = logging.getLogger(__name__)


class CommandError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _get(args: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if name not in args or args[name] is None:
        if default is ...:
            raise CommandError("bad_argument", f"missing argument {name!r}")
        return default
    value = args[name]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise CommandError("bad_argument", f"{name!r} has the wrong type")
    if not isinstance(value, kind):
        raise CommandError("bad_argument", f"{name!r} has the wrong type")
    return value


def _int(args: dict[str, Any], name: str, default: Any = ...) -> Any:
    return _get(args, name, int, default)


def _discount(t: Till, a: dict[str, Any]) -> None:
    cents = _int(a, "cents", None)
    percent = _get(a, "percent", (int, float), None)
    t.discount(_int(a, "line", None), cents=cents, percent=percent)


def _pay(t: Till, a: dict[str, Any]) -> None:
    if "payments" in a:
        payments = _get(a, "payments", list)
        if not all(isinstance(p, dict) for p in payments):
            raise CommandError("bad_argument", "payments is a list of {method, amount}")
        for p in payments:
            if p.get("amount") is not None and (
                isinstance(p["amount"], bool) or not isinstance(p["amount"], int)
            ):
                raise CommandError("bad_argument", "an amount is a whole number of cents")
        t.pay(payments=payments)
    else:
        t.pay(_get(a, "method", str), _int(a, "amount", None))


def _article(t: Till, a: dict[str, Any]) -> None:
    article = a.get("article")
    if article is None:
        article = {k: v for k, v in a.items() if k != "cmd"}
    if not isinstance(article, dict):
        raise CommandError("bad_argument", "article is an object")
    t.create_article(article)


def _kitchen(t: Till, a: dict[str, Any]) -> None:
    t.kitchen(
        table=None if a.get("table") is None else str(a["table"]),
        covers=_int(a, "covers", None),
        note=str(a.get("note") or ""),
        lines=_get(a, "lines", list, None),
    )


def _sim_scan(t: Till, a: dict[str, Any]) -> None:
    code = _get(a, "code", str)
    scanner = getattr(getattr(t.devices, "sim", None), "scanner", None)
    if scanner is None:
        raise CommandError("no_sim_scanner", "this till has no simulated scanner (devices.toml)")
    scanner.scan(code)


COMMANDS: dict[str, Callable[[Till, dict[str, Any]], Any]] = {
    "login": lambda t, a: t.login(
        str(_get(a, "cashier", (str, int))), str(_get(a, "pin", (str, int)))
    ),
    "logout": lambda t, a: t.logout(),
    "scan": lambda t, a: t.scan(_get(a, "code", str), _int(a, "quantity", 1)),
    "add": lambda t, a: t.add(_get(a, "article_id", str), _int(a, "quantity", 1)),
    "qty": lambda t, a: t.set_quantity(_int(a, "line"), _int(a, "quantity")),
    "price": lambda t, a: t.set_price(_int(a, "line"), _int(a, "cents")),
    "discount": _discount,
    "void": lambda t, a: t.void(_int(a, "line")),
    "cancel": lambda t, a: t.cancel(),
    "pay": _pay,
    "answer": lambda t, a: t.answer(_get(a, "question", str, None), _get(a, "answer", str)),
    "create_article": _article,
    "kitchen": _kitchen,
    "status": lambda t, a: t.status(),
    "upload": lambda t, a: t.upload(),
    "reprint": lambda t, a: t.reprint_last(),
    "open_drawer": lambda t, a: t.open_drawer(str(_get(a, "reason", str, ""))),
    "devices": lambda t, a: t.device_status(),
    "sim_scan": _sim_scan,
}


class Console:
    """Wires a Till to a pair of text streams."""

    def __init__(self, till: Till, out: IO[str]) -> None:
        self.till = till
        self.out = out
        self._lock = threading.Lock()
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
            run(self.till, args)
        except CommandError as e:
            self.emit({"event": "error", "code": e.code, "cmd": cmd, "message": e.message})
        except Exception as e:  # a command never kills the till
            log.exception("command %s failed", cmd)
            self.emit({"event": "error", "code": "internal", "cmd": cmd, "message": repr(e)})
        return True

    def run(self, lines: Iterable[str]) -> None:
        for line in lines:
            if not self.handle(line):
                break
