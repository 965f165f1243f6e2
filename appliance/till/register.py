"""The register: the sale, the cashier, the lookup chosen by the mode, the outbox append.

`Register(core, api, outbox, journal, ...)` is given the core's door and mode
(`ports.Core`: mode, catalogue, open question, events and errors, `Lost` when a
lookup finds no server), `api()`, the `Outbox` (it appends, never sends), the
journal, the clock, the till's id and the core's lock. It holds the sale on
screen and the cashier logged in; a manager's approvals: approvals.py.

Pay closes the sale into a record (domain.close_sale: next seq, previous hash,
a time never before the last sale), appends it to the outbox with fsync, and
only then says `sale_closed`, with the record. Online the link drains it at once.
A scan's answer (`line_added` or `error`) carries the request id it came with.
"""

from __future__ import annotations

import errno
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from appliance.domain import (
    EventType,
    Line,
    Payment,
    Sale,
    SaleError,
    close_sale,
)
from appliance.protocol.models import Article
from appliance.system.crash import crash_point

from . import cardstep
from .approvals import Approver, judge_line_discount, judge_price, judge_sale_discount, judge_void
from .cancel import cancel_sale, remove_payment, sale_summary
from .client import NotFound, Rejected, ServerError
from .eventlog import EventLog
from .kitchen_order import PRINTERS_OUT_OF_REACH, send_order
from .modes import ASKING_MODES, SERVER_MODES, Mode, reaches_server
from .outbox import Outbox, OutboxWriteError
from .pinguard import PinGuard
from .ports import Api, Core, DevicePort, Lost

__all__ = ["NO_ARTICLE_CREATION", "PRINTERS_OUT_OF_REACH", "Register"]

log = logging.getLogger(__name__)

NO_ARTICLE_CREATION = (
    "no article can be created on a till in autonomous mode: articles are created on the "
    "store server; wait until it is back"
)


class Register:
    def __init__(
        self,
        core: Core,
        api: Api,
        outbox: Outbox,
        journal: EventLog,
        *,
        till_id: int,
        now: Callable[[], datetime],
        lock: threading.RLock,
        wake: threading.Event,
        stop: threading.Event,
        devices: Callable[[], DevicePort | None],
        fetch_snapshot: Callable[[], Any],
        server_known: Callable[[], bool],
        merge: bool = True,
    ) -> None:
        self.core = core
        self.api = api
        self.outbox = outbox
        self.journal = journal
        self.till_id = till_id
        self.now = now
        self.lock = lock
        self.wake = wake
        self.stop = stop
        #: the till's devices (direct kitchen printers), None without them
        self.devices = devices
        self.fetch_snapshot = fetch_snapshot
        self.server_known = server_known
        self.sale = Sale()
        self.cashier: dict[str, Any] | None = None
        #: follow each order the server prints and say what became of it (kitchenwatch)
        self.follow_kitchen = True
        #: an article rung up again goes on its line, quantity + 1 (Settings.merge_lines)
        self.merge = merge
        self._pending_action: tuple[str, str, int, Any] | None = None
        #: the store's thresholds, and the manager's PIN above them (approvals.py)
        self.approver = Approver(core, journal, now)
        #: the wrong-PIN lockout (its file beside the outbox) and PIN-only login
        self.pin_guard = PinGuard(getattr(outbox, "dir", None))

    @property
    def mode(self) -> Mode:
        return self.core.mode

    def error(self, code: str, message: str, **extra: Any) -> dict[str, Any]:
        return self.core.error(code, message, **extra)

    # -- cashier -----------------------------------------------------------------
    def login(self, cashier_id: str, pin: str) -> bool:
        # A first login may come before the first snapshot: fetch it (also while the
        # server is looked for, when its address is known).
        if self.core.catalogue is None and (
            self.mode in SERVER_MODES or (self.mode == Mode.DISCOVERING and self.server_known())
        ):
            self.fetch_snapshot()
        cat = self.core.catalogue
        if cat is None:
            self.error("no_snapshot", "no store snapshot on this till yet: cashiers unknown")
            return False
        who = self.pin_guard.login(self, str(cashier_id or ""), str(pin))
        if who is None:
            return False
        with self.lock:
            self.cashier = who
            self.core.publish("logged_in", **self.cashier)
        return True

    def logout(self) -> None:
        with self.lock:
            self.cashier = None
            self.core.publish("logged_out")

    def _refusal(self, **about: Any) -> bool:
        """Publish why no sale can be rung up now; False when it can. `about`: the
        fields the answer carries (a scan's `request`)."""
        if self.cashier is None:
            self.error("not_logged_in", "log in first (cashier and PIN)", **about)
        elif self.mode in ASKING_MODES:
            q = self.core.question
            text = f"answer the question first: {q.text if q else ''}"
            self.error("question_pending", text, **about)
        elif self.mode in (Mode.BOOT, Mode.DISCOVERING):
            self.error("not_ready", "looking for the store server, one moment", **about)
        else:
            return False
        return True

    # -- lines -------------------------------------------------------------------
    def scan(self, code: str, quantity: int = 1, *, request: Any = None) -> None:
        """Ring up a barcode. Its answer (`line_added` or `error`) carries `request`
        when one is given, also when the scan is done again after the cashier answered
        the outage question."""
        about = _about(request)
        if not isinstance(code, str) or not code.strip():
            self.error("bad_barcode", "a barcode is a non-empty text", **about)
            return
        if not self._refusal(**about):
            self._ring("scan", code.strip(), quantity, request)

    def add(self, article_id: str, quantity: int = 1, *, request: Any = None) -> None:
        about = _about(request)
        if not isinstance(article_id, str) or not article_id:
            self.error("bad_article", "an article id is a non-empty text", **about)
            return
        if not self._refusal(**about):
            self._ring("add", article_id, quantity, request)

    def _ring(self, kind: str, key: str, quantity: int, request: Any = None) -> None:
        about = _about(request)
        article = self._lookup(kind, key, quantity, request)
        if article is None:
            return
        try:
            line = Line(
                article_id=article.article_id,
                name=article.name,
                unit_price=article.price,
                quantity=quantity,
                vat_bp=article.vat_bp,
                category=article.category,
            )
        except SaleError as e:
            self.error(e.code, e.message, **about)
            return
        except (KeyError, TypeError, ValueError) as e:
            self.error("bad_article", f"article {key} cannot be sold: {e!r}", **about)
            return
        with self.lock:
            try:
                index = self.sale.add_line(line, merge=self.merge)
            except SaleError as e:
                self.error(e.code, e.message, **about)
                return
            added = self.sale.lines[index].as_dict()  # a line merged: its new quantity
            self.core.publish(
                "line_added", index=index, line=added, sale=self.sale_summary(), **about
            )

    def _lookup(self, kind: str, key: str, quantity: int, request: Any = None) -> Article | None:
        """The article from the server (online, syncing) or the snapshot (otherwise)."""
        about = _about(request)
        unknown = ("unknown_barcode", f"unknown barcode {key}")
        if kind == "add":
            unknown = ("unknown_article", f"unknown article {key}")
        if self.mode in SERVER_MODES:
            try:
                client = self.api()
                return client.barcode(key) if kind == "scan" else client.article(key)
            except NotFound:
                self.error(*unknown, **about)
                return None
            except Rejected as e:
                self.error(e.code, e.message, **about)
                return None
            except ServerError as e:
                with self.lock:
                    self._pending_action = (kind, key, quantity, request)
                self.error(
                    "server_unreachable",
                    f"{e.message}; the {kind} of {key} is kept and done again once you answer",
                    **about,
                )
                self.core.signal(Lost(e.message))
                if self.mode is Mode.AUTONOMOUS:
                    self.replay_pending()
                return None
        cat = self.core.catalogue
        if cat is None:
            text = "no store snapshot on this till: nothing to sell from"
            self.error("no_snapshot", text, **about)
            return None
        row = cat.by_barcode(key) if kind == "scan" else cat.by_id(key)
        if row is None:
            self.error(*unknown, **about)
            return None
        try:
            return Article.model_validate(row)
        except ValueError as e:
            self.error("bad_article", f"article {key} cannot be sold: {e!r}", **about)
            return None

    def replay_pending(self) -> None:
        """Ring up the scan that was cut short when the server failed, under the
        request it came with."""
        with self.lock:
            action, self._pending_action = self._pending_action, None
        if action is not None:
            kind, key, quantity, request = action
            self._ring(kind, key, quantity, request)

    def _edit(self, change: Any, judge: Any = None, manager: Any = None) -> None:
        """Change the sale; `judge(before, after, rules)` says (action, needed, what)
        when the change may need a manager's approval (given by `manager`)."""
        if self._refusal():
            return
        with self.lock:
            try:
                ok, given = self.approver.judge(
                    self.sale, change, judge, manager, self._cashier_id()
                )
                if not ok:
                    return
                change(self.sale)
                self.sale.approvals += [given] if given else []
            except SaleError as e:
                self.error(e.code, e.message)
                return
            self.core.publish("sale_updated", sale=self.sale_summary())

    def _cashier_id(self) -> str:
        return str(self.cashier["cashier_id"]) if self.cashier else ""

    def set_quantity(self, index: int, quantity: int) -> None:
        self._edit(lambda s: s.set_quantity(int(index), quantity))

    def discount(
        self,
        index: int | None = None,
        cents: int | None = None,
        percent: float | None = None,
        manager: Any = None,
    ) -> None:
        """A discount on line `index` or on the sale; above the store's thresholds it
        needs `manager` ({"manager_id", "pin"})."""
        if index is None:
            self._edit(lambda s: s.discount_sale(cents=cents, percent=percent),
                       judge_sale_discount, manager)  # fmt: skip
        else:
            i = int(index)
            self._edit(lambda s: s.discount_line(i, cents=cents, percent=percent),
                       lambda b, a, r: judge_line_discount(i, b, a, r), manager)  # fmt: skip

    def set_price(self, index: int, cents: int, manager: Any = None) -> None:
        """The unit price of line `index`, typed on the keypad (weighed goods, a free
        price, a shelf label): `sale_updated`, or `error bad_price` (or manager_needed)."""
        i = int(index)
        self._edit(lambda s: s.set_price(i, cents), lambda b, a, r: judge_price(i, b, a, r),
                   manager)  # fmt: skip

    def void(self, index: int, manager: Any = None) -> None:
        i = int(index)
        self._edit(lambda s: s.void_line(i), lambda b, a, r: judge_void(i, b, r), manager)

    def cancel(self, manager: Any = None) -> None:
        """Cancel the open sale (journaled; a manager above the store's threshold or
        after a payment line): cancel.py."""
        cancel_sale(self, manager)

    def remove_payment(self, index: int) -> None:
        remove_payment(self, index)

    def card_answer(self, accepted: bool) -> dict[str, Any] | None:  # the terminal's
        return cardstep.answer(self, bool(accepted))

    def set_eat_in(self, on: bool) -> None:
        """Eaten in (`on`) or taken away: each line's VAT follows the store's `eat_in_vat`."""
        self._edit(lambda s: s.set_eat_in(bool(on), self.approver.rules().eat_in_vat))

    # -- paying ------------------------------------------------------------------
    def pay(
        self,
        method: str | None = None,
        amount: int | None = None,
        payments: list[dict[str, Any]] | None = None,
        confirmed: bool = False,
    ) -> dict[str, Any] | None:
        """Take payments; close the sale once paid (a card may wait: cardstep.py)."""
        if self._refusal():
            return None
        items = payments if payments is not None else [{"method": method, "amount": amount}]
        if not confirmed and cardstep.hold(self, items):
            return None
        with self.lock:
            taken: list[Payment] = []
            try:
                for item in items:
                    amt = item.get("amount")
                    p = Payment(str(item.get("method")), self.sale.due if amt is None else amt)
                    self.sale.add_payment(p)
                    taken.append(p)
            except (SaleError, TypeError, AttributeError) as e:
                for p in taken:
                    self.sale.payments.remove(p)
                code = e.code if isinstance(e, SaleError) else "bad_payment"
                self.error(code, getattr(e, "message", str(e)))
                return None
            if not self.sale.is_paid:
                self.core.publish("sale_updated", sale=self.sale_summary())
                return None
            return self._close(taken)

    def _close(self, taken: list[Payment]) -> dict[str, Any] | None:
        box = self.outbox
        wall = self.now()
        place = box.next_place(wall)
        closed_at, behind = place["closed_at"], place["clock_behind"]
        cat = self.core.catalogue
        record = close_sale(
            self.sale,
            sale_id=str(uuid.uuid4()),
            till_id=self.till_id,
            cashier_id=self.cashier["cashier_id"] if self.cashier else "",
            mode="autonomous" if self.mode is Mode.AUTONOMOUS else "online",
            snapshot_version=cat.version if cat else None,
            **place,
        )
        crash_point("till_before_append")
        try:
            box.append(record)
        except OutboxWriteError as e:
            for p in taken:
                self.sale.payments.remove(p)
            why = e.why
            self.error(
                "outbox_write_failed",
                f"{why}: the sale is NOT recorded and stays open; "
                "free some space or call support, then pay again",
                sale=self.sale_summary(),
                errno=errno.errorcode.get(e.errno or 0, str(e.errno)),
            )
            return None
        crash_point("till_after_append")
        if behind:
            self.journal.record(
                EventType.CLOCK_BACKWARDS,
                wall_clock=wall.isoformat(),
                used=closed_at.isoformat(),
                seq=record["seq"],
            )
        self.sale = Sale()
        self.core.publish(
            "sale_closed",
            record=record,
            sale_id=record["sale_id"],
            seq=record["seq"],
            total=record["total"],
            change=record["change"],
            voucher_excess=record["voucher_excess"],
            mode=record["mode"],
            closed_at=record["closed_at"],
            clock_behind=behind,
            hash=record["hash"],
        )
        self.wake.set()
        return record

    # -- what needs the server ---------------------------------------------------
    def reaches_server(self) -> bool:
        """Online, or autonomous while the server answers again (modes.reaches_server)."""
        return reaches_server(self.mode, self.core.server_answers)

    def create_article(self, article: dict[str, Any]) -> dict[str, Any] | None:
        if self.mode is Mode.AUTONOMOUS and not self.reaches_server():
            self.error("autonomous_no_article_creation", NO_ARTICLE_CREATION)
            return None
        return self._online_call("create_article", lambda c: c.create_article(article))

    def kitchen(
        self,
        table: str | None = None,
        covers: int | None = None,
        note: str = "",
        lines: list[dict[str, Any]] | None = None,
        name: str = "",
        reprint: bool = False,
    ) -> dict[str, Any] | None:
        """Send a kitchen order (kitchen_order.send_order says what goes where)."""
        return send_order(self, table, covers, note, lines, name, reprint)

    def _online_call(
        self, what: str, call: Any, before: Callable[[], Any] | None = None, **extra: Any
    ) -> dict[str, Any] | None:
        if not self.reaches_server():
            self.error("not_online", f"{what}: the till is not online (mode {self.mode})")
            return None
        try:
            result = call(self.api())
        except Rejected as e:
            self.error(e.code, e.message)
            return None
        except ServerError as e:
            self.error("server_unreachable", e.message)
            self.core.signal(Lost(e.message))
            return None
        if before is not None:
            before()
        name = "article_created" if what == "create_article" else "kitchen_sent"
        payload = {"article": result} if what == "create_article" else {"answer": result}
        if what != "create_article":
            payload["sale"] = self.sale_summary()
        self.core.publish(name, **payload, **extra)
        return result

    # -- display -----------------------------------------------------------------
    def sale_summary(self) -> dict[str, Any]:
        return sale_summary(self.sale)


def _about(request: Any) -> dict[str, Any]:
    """The fields that tie an answer to its command: `request`, when there is one."""
    return {} if request is None else {"request": request}
