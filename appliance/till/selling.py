"""The sale commands of the till: log in, scan, lines, discounts, pay.

Pay closes the sale into a record (domain.close_sale: next seq, previous hash,
a time never before the last sale), appends it to the outbox with fsync, and
only then says `sale_closed`. Online the link drains it at once.
"""

from __future__ import annotations

import errno
import logging
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from appliance.domain import (
    EventType,
    Line,
    Payment,
    Sale,
    SaleError,
    close_sale,
    monotonic_closed_at,
    verify_pin,
)

from .client import NotFound, Rejected, ServerError
from .faults import crash_point
from .kitchenwatch import follow_job
from .modes import SERVER_MODES, Mode
from .outbox import OutboxWriteError

if TYPE_CHECKING:
    from .session import Till

__all__ = ["NO_ARTICLE_CREATION", "PRINTERS_OUT_OF_REACH", "Selling"]

log = logging.getLogger(__name__)

NO_ARTICLE_CREATION = (
    "no article can be created on a till in autonomous mode: articles are created on the "
    "store server; wait until it is back"
)
PRINTERS_OUT_OF_REACH = (
    "kitchen and bar printers are shared through the server and are out of reach in autonomous mode"
)


class Selling:
    """Mixed into `Till`; uses its lock, mode, outbox, catalogue and bus."""

    # -- cashier -----------------------------------------------------------------
    def login(self: Till, cashier_id: str, pin: str) -> bool:
        # A till's first login may come before its first snapshot: fetch it now
        # (also while the server is still being looked for, when its address is known).
        if self.catalogue is None and (
            self.mode in SERVER_MODES or (self.mode == Mode.DISCOVERING and self.server_url)
        ):
            self.fetch_snapshot(self.server_snapshot)
        cat = self.catalogue
        if cat is None:
            self.error("no_snapshot", "no store snapshot on this till yet: cashiers unknown")
            return False
        row = cat.cashier(str(cashier_id))
        stored = (row or {}).get("pin_hash") or (row or {}).get("pin") or ""
        if row is None or not verify_pin(str(pin), str(stored)):
            self.error("bad_login", "unknown cashier or wrong PIN")
            return False
        with self.lock:
            self.cashier = {"cashier_id": str(cashier_id), "name": row.get("name", "")}
            self.bus.publish("logged_in", **self.cashier)
        return True

    def logout(self: Till) -> None:
        with self.lock:
            self.cashier = None
            self.bus.publish("logged_out")

    def _refusal(self: Till) -> bool:
        """Publish why no sale can be rung up now; False when it can."""
        if self.cashier is None:
            self.error("not_logged_in", "log in first (cashier and PIN)")
        elif self.asking:
            q = self.question
            self.error("question_pending", f"answer the question first: {q.text if q else ''}")
        elif self.mode in (Mode.BOOT, Mode.DISCOVERING):
            self.error("not_ready", "looking for the store server, one moment")
        else:
            return False
        return True

    # -- lines -------------------------------------------------------------------
    def scan(self: Till, code: str, quantity: int = 1) -> None:
        if not isinstance(code, str) or not code.strip():
            self.error("bad_barcode", "a barcode is a non-empty text")
            return
        if not self._refusal():
            self._ring("scan", code.strip(), quantity)

    def add(self: Till, article_id: str, quantity: int = 1) -> None:
        if not isinstance(article_id, str) or not article_id:
            self.error("bad_article", "an article id is a non-empty text")
            return
        if not self._refusal():
            self._ring("add", article_id, quantity)

    def _ring(self: Till, kind: str, key: str, quantity: int) -> None:
        article = self._lookup(kind, key, quantity)
        if article is None:
            return
        try:
            line = Line(
                article_id=str(article.get("article_id", article.get("id"))),
                name=str(article.get("name", "")),
                unit_price=int(article["price"]),
                quantity=quantity,
                vat_bp=int(article["vat_bp"]),
                category=str(article.get("category") or ""),
            )
        except SaleError as e:
            self.error(e.code, e.message)
            return
        except (KeyError, TypeError, ValueError) as e:
            self.error("bad_article", f"article {key} cannot be sold: {e!r}")
            return
        with self.lock:
            try:
                index = self.sale.add_line(line)
            except SaleError as e:
                self.error(e.code, e.message)
                return
            self.bus.publish(
                "line_added", index=index, line=line.as_dict(), sale=self.sale_summary()
            )

    def _lookup(self: Till, kind: str, key: str, quantity: int) -> dict[str, Any] | None:
        unknown = ("unknown_barcode", f"unknown barcode {key}")
        if kind == "add":
            unknown = ("unknown_article", f"unknown article {key}")
        if self.mode in SERVER_MODES:
            try:
                client = self.client()
                return client.barcode(key) if kind == "scan" else client.article(key)
            except NotFound:
                self.error(*unknown)
                return None
            except Rejected as e:
                self.error(e.code, e.message)
                return None
            except ServerError as e:
                with self.lock:
                    self._pending_action = (kind, key, quantity)
                self.error(
                    "server_unreachable",
                    f"{e.message}; the {kind} of {key} is kept and done again once you answer",
                )
                self.on_lost(e.message)
                if self.mode is Mode.AUTONOMOUS:
                    self.replay_pending()
                return None
        cat = self.catalogue
        if cat is None:
            self.error("no_snapshot", "no store snapshot on this till: nothing to sell from")
            return None
        article = cat.by_barcode(key) if kind == "scan" else cat.by_id(key)
        if article is None:
            self.error(*unknown)
        return article

    def replay_pending(self: Till) -> None:
        """Ring up the scan that was cut short when the server failed."""
        with self.lock:
            action, self._pending_action = self._pending_action, None
        if action is not None:
            kind, key, quantity = action
            self._ring(kind, key, quantity)

    def _edit(self: Till, change: Any) -> None:
        if self._refusal():
            return
        with self.lock:
            try:
                change(self.sale)
            except SaleError as e:
                self.error(e.code, e.message)
                return
            self.bus.publish("sale_updated", sale=self.sale_summary())

    def set_quantity(self: Till, index: int, quantity: int) -> None:
        self._edit(lambda s: s.set_quantity(int(index), quantity))

    def discount(
        self: Till, index: int | None = None, cents: int | None = None, percent: float | None = None
    ) -> None:
        if index is None:
            self._edit(lambda s: s.discount_sale(cents=cents, percent=percent))
        else:
            self._edit(lambda s: s.discount_line(int(index), cents=cents, percent=percent))

    def set_price(self: Till, index: int, cents: int) -> None:
        """The unit price of line `index`, typed on the keypad (weighed goods, free-price
        articles, a shelf label that differs): `sale_updated`, or `error bad_price`."""
        self._edit(lambda s: s.set_price(int(index), cents))

    def void(self: Till, index: int) -> None:
        self._edit(lambda s: s.void_line(int(index)))

    def cancel(self: Till) -> None:
        with self.lock:
            self.sale = Sale()
            self.bus.publish("sale_cancelled", sale=self.sale_summary())

    # -- paying ------------------------------------------------------------------
    def pay(
        self: Till,
        method: str | None = None,
        amount: int | None = None,
        payments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any] | None:
        """Take one or several payments; close the sale once it is paid."""
        if self._refusal():
            return None
        items = payments if payments is not None else [{"method": method, "amount": amount}]
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
                self.bus.publish("sale_updated", sale=self.sale_summary())
                return None
            return self._close(taken)

    def _close(self: Till, taken: list[Payment]) -> dict[str, Any] | None:
        box = self.outbox
        last = datetime.fromisoformat(box.last_closed_at) if box.last_closed_at else None
        wall = self.now()
        closed_at, behind = monotonic_closed_at(wall, last)
        cat = self.catalogue
        record = close_sale(
            self.sale,
            sale_id=str(uuid.uuid4()),
            till_id=self.till_id,
            seq=box.last_seq + 1,
            prev_hash=box.last_hash,
            closed_at=closed_at,
            cashier_id=self.cashier["cashier_id"] if self.cashier else "",
            mode="autonomous" if self.mode is Mode.AUTONOMOUS else "online",
            snapshot_version=cat.version if cat else None,
            clock_behind=behind,
        )
        crash_point("till_before_append")
        try:
            box.append(record)
        except OutboxWriteError as e:
            for p in taken:
                self.sale.payments.remove(p)
            why = "the till's disk is full" if e.errno == errno.ENOSPC else e.strerror
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
            self.events.record(
                EventType.CLOCK_BACKWARDS,
                wall_clock=wall.isoformat(),
                used=closed_at.isoformat(),
                seq=record["seq"],
            )
        self.sale = Sale()
        self.last_sale = record
        self.bus.publish(
            "sale_closed",
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
    def create_article(self: Till, article: dict[str, Any]) -> dict[str, Any] | None:
        if self.mode is Mode.AUTONOMOUS:
            self.error("autonomous_no_article_creation", NO_ARTICLE_CREATION)
            return None
        return self._online_call("create_article", lambda c: c.create_article(article))

    def kitchen(
        self: Till,
        table: str | None = None,
        covers: int | None = None,
        note: str = "",
        lines: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any] | None:
        """Send the order's tickets: lines routed to a direct printer configured on this
        till are printed by the till itself, in either mode; the others go to the
        server (only online)."""
        devices = self.devices
        direct_here = devices is not None and bool(devices.direct_kitchen)
        if self.mode not in SERVER_MODES and not direct_here:
            self.error("printers_out_of_reach", PRINTERS_OUT_OF_REACH)
            return None
        with self.lock:
            if lines is None:
                lines = [
                    {k: ln[k] for k in ("article_id", "name", "quantity", "category")}
                    for ln in (line.as_dict() for line in self.sale.lines)
                ]
        if not lines:
            self.error("empty_ticket", "nothing to send to the kitchen")
            return None
        job = {
            "job_id": str(uuid.uuid4()),
            "till_id": self.till_id,
            "table": table,
            "covers": covers,
            "note": note,
            "lines": lines,
        }
        direct, rest = devices.split_kitchen(lines) if direct_here else ({}, lines)
        if direct:
            devices.print_kitchen(job, direct)
            self.bus.publish(
                "kitchen_printing", job_id=job["job_id"], printers=sorted(direct),
                lines=sum(len(v) for v in direct.values()),
            )  # fmt: skip
        if not rest:
            return {"job_id": job["job_id"], "status": "printing", "printers": sorted(direct)}
        if self.mode not in SERVER_MODES:
            names = ", ".join(f"{ln.get('quantity', 1)} x {ln.get('name', '')}" for ln in rest)
            self.error(
                "printers_out_of_reach",
                f"{PRINTERS_OUT_OF_REACH}: not sent: {names} (the lines of the printers this "
                f"till reaches itself are printed: {', '.join(sorted(direct))})",
                job_id=job["job_id"],
                lines=rest,
            )
            return None
        server_job = {**job, "lines": rest}
        answer = self._online_call(
            "print_job", lambda c: c.print_job(server_job), job_id=job["job_id"]
        )
        if answer is not None and self.follow_kitchen:
            follow_job(self, job["job_id"])
        return answer

    def _online_call(self: Till, what: str, call: Any, **extra: Any) -> dict[str, Any] | None:
        if self.mode not in SERVER_MODES:
            self.error("not_online", f"{what}: the till is not online (mode {self.mode})")
            return None
        try:
            result = call(self.client())
        except Rejected as e:
            self.error(e.code, e.message)
            return None
        except ServerError as e:
            self.error("server_unreachable", e.message)
            self.on_lost(e.message)
            return None
        name = "article_created" if what == "create_article" else "kitchen_sent"
        payload = {"article": result} if what == "create_article" else {"answer": result}
        self.bus.publish(name, **payload, **extra)
        return result

    # -- display -----------------------------------------------------------------
    def sale_summary(self: Till) -> dict[str, Any]:
        s = self.sale
        return {
            "lines": [
                {"index": i, **ln.as_dict(), "gross": ln.gross} for i, ln in enumerate(s.lines)
            ],
            "sale_discount": s.sale_discount,
            "total": s.total,
            "paid": s.paid,
            "due": s.due,
            "payments": [p.as_dict() for p in s.payments],
        }
