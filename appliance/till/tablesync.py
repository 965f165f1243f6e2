"""The tables a till holds, written to the store server: at each change while online,
and again, all that changed while alone, once it is back.

What the server answers decides what becomes of the till's bill:
- kept: the till holds it on (or it is closed, and forgotten here);
- `table_taken_over`: another till took the table over while this one was alone:
  the lines rung up here (and the payments taken here) go to the table there, each
  once, and the till lets the table go (`table_taken_over`, with how many lines);
- `table_closed` when those lines arrive: the table was paid there meanwhile: the
  lines the server never had stay here as a bill of their own (`table_conflict`);
- `table_occupied`: other guests were seated at that table on another till: the
  bill stays here and the cashier moves it to a free table (`table_conflict`).
Nothing a till rang up is dropped, and a line paid once is never offered again.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import TYPE_CHECKING

from appliance.domain.floorplan import TableError
from appliance.domain.tables import Tab

from .client import Rejected, ServerError
from .ports import Lost

if TYPE_CHECKING:
    from .tables import TableBook

__all__ = ["TableSync"]

log = logging.getLogger(__name__)


class TableSync:
    def __init__(self, book: TableBook) -> None:
        self.book = book
        self._running = threading.Lock()

    def _lost(self, e: ServerError) -> None:
        self.book.core.signal(Lost(e.message))

    def push(self, tab: Tab) -> bool:
        """Write one bill to the server; True once the server has it (or settled it)."""
        book = self.book
        try:
            answer = book.api().tables("PUT", f"/{tab.table_id}", tab.as_dict())
        except Rejected as e:
            return self._refused(tab, e)
        except ServerError as e:
            self._lost(e)
            return False
        with book.lock:
            book.unsynced.discard(tab.opening)
            book.closing.pop(tab.opening, None)
            if answer.get("closed"):
                book.synced.pop(tab.opening, None)
                book.jobs.pop(tab.opening, None)
            else:
                book.synced[tab.opening] = [ln.line_id for ln in tab.lines]
            # not written now: a bill the file still calls unsynced is only written to
            # the server again after a restart, which its holder may do
        return True

    def paying(self, tab: Tab, on: bool) -> None:
        """Tell the server the bill is on this till's screen (no take-over meanwhile).
        Refused (TableError) when another till holds it now, or was paid for it."""
        book = self.book
        body = {"on": on, "opening": tab.opening}
        try:
            book.api().tables("POST", f"/{tab.table_id}/paying", body)
        except Rejected as e:
            if e.code == "table_taken_over":
                self._taken_over(tab, e)
            elif e.code == "table_closed":  # paid elsewhere: never charged again here
                with book.lock:
                    if book.tabs.get(tab.table_id) is tab:
                        book.tabs.pop(tab.table_id)
                    book.unsynced.discard(tab.opening)
                    book.save()
            if e.code in ("table_taken_over", "table_paying", "table_closed"):
                raise TableError(e.code, e.message) from None
            # table_not_open: a bill the server never had (opened here alone): paid here
        except ServerError as e:
            self._lost(e)

    def run(self) -> int:
        """Write again every bill changed while the server was out of reach; the
        number written."""
        book = self.book
        if not self._running.acquire(blocking=False):
            return 0
        try:
            with book.lock:
                todo = [t for t in book.tabs.values() if t.opening in book.unsynced]
                todo += list(book.closing.values())  # closed here while alone
            done = 0
            for tab in todo:
                done += bool(self.push(tab))
            with book.lock:
                book.save()
            if todo:
                book.refresh()
                book.core.publish("tables_synced", written=done, tables=len(todo))
            return done
        finally:
            self._running.release()

    # -- what the server refused ---------------------------------------------------------
    def _refused(self, tab: Tab, e: Rejected) -> bool:
        book = self.book
        if e.code == "table_taken_over":
            return self._taken_over(tab, e)
        if e.code == "table_closed":
            with book.lock:
                book.unsynced.discard(tab.opening)
                book.closing.pop(tab.opening, None)
                book.save()
            if not tab.closed:
                self._keep_apart(tab, e.message)
            return True
        if e.code == "table_occupied":
            book.core.publish(
                "table_conflict",
                table=book.summary(tab),
                code=e.code,
                message=f"{e.message}; this till keeps the bill of table {tab.table_id}",
            )
            return False
        log.error("the server refused table %s: %s %s", tab.table_id, e.code, e.message)
        book.core.error(e.code, e.message, table_id=tab.table_id)
        return False

    def _taken_over(self, tab: Tab, e: Rejected) -> bool:
        """Another till holds this table now: our lines and payments go there."""
        book = self.book
        try:
            answer = book.api().tables("POST", f"/{tab.table_id}/lines", tab.as_dict())
        except Rejected as again:
            if again.code == "table_closed":
                self._keep_apart(tab, again.message)
                return True
            book.core.error(again.code, again.message, table_id=tab.table_id)
            return False
        except ServerError as lost:
            self._lost(lost)
            return False
        with book.lock:
            if book.tabs.get(tab.table_id) is tab:
                book.tabs.pop(tab.table_id)
            book.closing.pop(tab.opening, None)
            book.unsynced.discard(tab.opening)
            book.synced.pop(tab.opening, None)
            book.bills.pop(tab.opening, None)
            book.save()
        holder = answer.get("holder")
        added = int(answer.get("added") or 0)
        book.core.publish(
            "table_taken_over",
            table_id=tab.table_id,
            holder=holder,
            added=added,
            doubled=answer.get("doubled") or [],
            message=f"table {tab.table_id} was taken over by till {holder}"
            + (f"; the {added} line(s) rung up here were added to it there" if added else ""),
        )
        return True

    def _keep_apart(self, tab: Tab, why: str) -> None:
        """The table was closed elsewhere: the lines the server never had stay here,
        as a bill of their own on the same table."""
        book = self.book
        known = set(book.synced.get(tab.opening) or [])
        rest = [ln for ln in tab.lines if ln.line_id not in known and ln.paid_by is None]
        with book.lock:
            if book.tabs.get(tab.table_id) is tab:
                book.tabs.pop(tab.table_id)
            book.closing.pop(tab.opening, None)
            book.unsynced.discard(tab.opening)
            book.synced.pop(tab.opening, None)
            if rest:
                apart = Tab(tab.table_id, str(uuid.uuid4()), tab.covers, tab.opened_at, rest,
                            tab.rounds)  # fmt: skip
                book.tabs[tab.table_id] = apart
                book.unsynced.add(apart.opening)
            book.save()
        if rest:
            book.core.publish(
                "table_conflict",
                table=book.summary(book.tabs[tab.table_id]),
                code="table_closed",
                message=f"{why}; the {len(rest)} line(s) rung up here while the server was "
                "away are kept on this till as a bill of their own",
            )
            self.push(book.tabs[tab.table_id])
