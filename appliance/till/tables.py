"""The tables this till holds: opened, ordered, sent to the kitchen in rounds, moved,
merged, split and paid, in both modes.

`TableBook(core, api, register, folder, ...)` keeps the bills of the tables this
till holds in `tables.json` (written whole and fsync'd before anything is said),
and, while online, writes each change to the server (server/api_tables.py),
which holds every open table of the store and who holds it. Autonomous, the
till goes on with the tables it holds and says which other tables it cannot
reach (held by other tills at the last look). Back online, `sync` writes again
what changed while alone (tablesync.py).

A part of a bill is paid as an ordinary sale (`Register.pay` on the part's
`TableSale`): the outbox, the chain, the receipt, exactly once. A round goes to
the kitchen through `Register.kitchen` (the routing of domain/routing.py, the
till's direct printers or the server's spooler).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from appliance.domain.floorplan import FloorPlan, TableError, modifiers_from_rows
from appliance.domain.tables import COURSES, Tab, TableSale, equal_shares
from appliance.system.files import atomic_write

from .client import Rejected, ServerError
from .modes import SERVER_MODES, Mode
from .ports import Core, Lost
from .tablesync import TableSync

__all__ = ["COURSE_NOTES", "TableBook"]

log = logging.getLogger(__name__)

#: what the kitchen ticket says of a round's course
COURSE_NOTES = {0: "", 1: "Entrées", 2: "Plats", 3: "Desserts"}
FILE = "tables.json"


def kitchen_lines(lines: list[Any]) -> list[dict[str, Any]]:
    """A round's lines as a kitchen ticket prints them: the modifiers and the note
    under the dish."""
    out = []
    for ln in lines:
        k = ln.kitchen_line()
        said = ", ".join(k["modifiers"])
        note = " · ".join(x for x in (said, k["note"]) if x)
        out.append({key: k[key] for key in ("article_id", "name", "quantity", "category")})
        out[-1]["note"] = note[:200]
    return out


class TableBook:
    def __init__(
        self,
        core: Core,
        api: Callable[[], Any],
        register: Any,
        folder: Path,
        *,
        till_id: int,
        lock: threading.RLock,
        now: Callable[[], datetime],
    ) -> None:
        self.core = core
        self.api = api
        self.register = register
        self.path = Path(folder) / FILE
        self.till_id = till_id
        self.lock = lock
        self.now = now
        #: table id -> the bill of a table this till holds
        self.tabs: dict[str, Tab] = {}
        #: opening -> the line ids the server had at its last answer
        self.synced: dict[str, list[str]] = {}
        #: openings changed while the server was out of reach
        self.unsynced: set[str] = set()
        #: opening -> round number (text) -> the kitchen job that carried it
        self.jobs: dict[str, dict[str, str]] = {}
        #: table id -> the open tables other tills held at the last look
        self.elsewhere: dict[str, dict[str, Any]] = {}
        #: opening -> a table closed here that the server has not heard closed yet
        self.closing: dict[str, Tab] = {}
        #: opening -> a bill being paid in several payments (an equal split)
        self.bills: dict[str, TableSale] = {}
        self.sync = TableSync(self)
        self._load()

    def heard(self, event: dict[str, Any]) -> None:
        """Back online: what changed while alone goes to the server (its own thread:
        never on the thread that said the mode)."""
        if event.get("event") == "mode" and event.get("mode") == str(Mode.ONLINE) and self.unsynced:
            threading.Thread(target=self.sync.run, name="tables-sync", daemon=True).start()

    # -- the file ----------------------------------------------------------------------
    def _load(self) -> None:
        try:
            doc = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            return
        except (OSError, orjson.JSONDecodeError) as e:
            damaged = self.path.with_suffix(".json.damaged")
            log.error("%s unreadable (%s): kept as %s", self.path, e, damaged.name)
            self.path.replace(damaged)
            return
        for row in doc.get("tabs") or []:
            tab = Tab.from_dict(row)
            self.tabs[tab.table_id] = tab
        for row in doc.get("closing") or []:
            tab = Tab.from_dict(row)
            self.closing[tab.opening] = tab
        self.synced = {k: list(v) for k, v in (doc.get("synced") or {}).items()}
        self.unsynced = set(doc.get("unsynced") or [])
        self.jobs = dict(doc.get("jobs") or {})
        self.elsewhere = dict(doc.get("elsewhere") or {})

    def save(self) -> None:
        doc = {
            "tabs": [t.as_dict() for t in self.tabs.values()],
            "closing": [t.as_dict() for t in self.closing.values()],
            "synced": self.synced,
            "unsynced": sorted(self.unsynced),
            "jobs": self.jobs,
            "elsewhere": self.elsewhere,
        }
        atomic_write(self.path, orjson.dumps(doc))

    # -- what the screens read ------------------------------------------------------------
    @property
    def online(self) -> bool:
        return self.core.mode in SERVER_MODES

    def plan(self) -> FloorPlan:
        cat = self.core.catalogue
        try:
            return FloorPlan.from_dict(getattr(cat, "floor_plan", None) or None)
        except TableError as e:
            log.error("the snapshot's floor plan is refused: %s", e.message)
            return FloorPlan()

    def modifiers(self) -> dict[str, Any]:
        cat = self.core.catalogue
        rows = (getattr(cat, "floor_plan", None) or {}).get("modifiers")
        try:
            return modifiers_from_rows(rows)
        except TableError as e:
            log.error("the snapshot's modifiers are refused: %s", e.message)
            return {}

    def state_of(self, table_id: str) -> dict[str, Any]:
        """What the floor plan shows of one table."""
        tab = self.tabs.get(table_id)
        if tab is not None:
            return {
                "state": "here",
                "covers": tab.covers,
                "total": tab.total,
                "due": tab.due,
                "rounds": tab.rounds,
                "unsent": len(tab.unsent()),
                "unsynced": tab.opening in self.unsynced,
            }
        other = self.elsewhere.get(table_id)
        if other is not None:
            state = "elsewhere" if self.online else "unreachable"
            return {"state": state, "holder": other.get("holder"), "covers": other.get("covers"),
                    "total": other.get("total")}  # fmt: skip
        return {"state": "free"}

    def floor(self) -> dict[str, Any]:
        """`floor_plan`: each room's tables, where they stand, and their state."""
        if self.online:
            self.refresh()
        plan = self.plan()
        tables = [{**t.as_dict(), **self.state_of(t.table_id)} for t in plan.tables]
        unreachable = [t["table_id"] for t in tables if t["state"] == "unreachable"]
        return self.core.publish(
            "floor_plan",
            rooms=[dict(r.__dict__) for r in plan.rooms],
            tables=tables,
            unreachable=unreachable,
            online=self.online,
        )

    def refresh(self) -> None:
        """The open tables of the other tills, as the server has them now."""
        try:
            rows = self.api().tables("GET").get("tables") or []
        except ServerError as e:
            self._lost(e)
            return
        with self.lock:
            self.elsewhere = {r["table_id"]: r for r in rows if r.get("holder") != self.till_id}
            self.save()

    def summary(self, tab: Tab) -> dict[str, Any]:
        return {
            **tab.as_dict(),
            "total": tab.total,
            "due": tab.due,
            "guests": tab.guests(),
            "bill_paid": bill.paid if (bill := self.bills.get(tab.opening)) else 0,
            "unsynced": tab.opening in self.unsynced,
        }

    # -- the commands -------------------------------------------------------------------------
    def _tab(self, table_id: str) -> Tab:
        tab = self.tabs.get(str(table_id))
        if tab is None:
            other = self.elsewhere.get(str(table_id))
            if other is not None:
                raise TableError(
                    "table_elsewhere",
                    f"table {table_id} is held by till {other.get('holder')}: take it over first",
                )
            raise TableError("table_not_open", f"table {table_id} is not open on this till")
        return tab

    def _changed(self, tab: Tab, event: str = "table", **extra: Any) -> dict[str, Any]:
        """Keep it on disk, then on the server (online), then say it."""
        with self.lock:
            if tab.closed:  # kept until the server has heard it closed
                if self.tabs.get(tab.table_id) is tab:
                    self.tabs.pop(tab.table_id)
                self.bills.pop(tab.opening, None)
                self.closing[tab.opening] = tab
            else:
                self.tabs[tab.table_id] = tab
            self.unsynced.add(tab.opening)
            self.save()
        if self.online:
            self.sync.push(tab)
        return self.core.publish(event, table=self.summary(tab), **extra)

    def _lost(self, e: ServerError) -> None:
        self.core.signal(Lost(e.message))

    def run(self, action: str, table_id: str, **args: Any) -> dict[str, Any] | None:
        """One table command (the screens' and the headless console's one door):
        a refusal is an `error` event with its code, naming the table."""
        call = getattr(self, f"do_{action}", None)
        if call is None:
            return self.core.error("bad_table_action", f"no table action {action!r}")
        if self.register.cashier is None:
            return self.core.error("not_logged_in", "log in first (cashier and PIN)")
        try:
            return call(str(table_id), **args)
        except TableError as e:
            return self.core.error(e.code, e.message, table_id=table_id)
        except TypeError as e:  # an argument the action does not take, or one missing
            return self.core.error("bad_argument", f"table {action}: {e}", table_id=table_id)

    def do_floor(self, table_id: str = "") -> dict[str, Any]:
        return self.floor()

    def do_show(self, table_id: str) -> dict[str, Any]:
        return self.core.publish("table", table=self.summary(self._tab(table_id)))

    def do_open(self, table_id: str, covers: int = 2) -> dict[str, Any]:
        self.plan().table(table_id)  # on the floor plan
        # online, the server refuses a table open elsewhere (table_occupied): no look first
        if table_id in self.tabs:
            raise TableError("table_open", f"table {table_id} is already open on this till")
        other = self.elsewhere.get(table_id)
        if other is not None:
            raise TableError(
                "table_elsewhere", f"table {table_id} is open on till {other.get('holder')}"
            )
        tab = Tab.open(table_id, covers, self.now().isoformat())
        return self._changed(tab, "table_opened")

    def do_covers(self, table_id: str, covers: int) -> dict[str, Any]:
        tab = self._tab(table_id)
        tab.set_covers(covers)
        return self._changed(tab)

    def do_order(
        self,
        table_id: str,
        article_id: str,
        quantity: int = 1,
        course: int = 0,
        modifiers: list[str] | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        tab = self._tab(table_id)
        cat = self.core.catalogue
        article = cat.by_id(str(article_id)) if cat is not None else None
        if article is None:
            raise TableError("unknown_article", f"unknown article {article_id}")
        known = self.modifiers()
        chosen = []
        for mid in modifiers or []:
            if mid not in known:
                raise TableError("bad_modifier", f"unknown modifier {mid}")
            chosen.append(known[mid])
        line = tab.add(article, quantity, course=course, modifiers=chosen, note=note)
        return self._changed(tab, line_id=line.line_id)

    def do_void(self, table_id: str, line_id: str) -> dict[str, Any]:
        tab = self._tab(table_id)
        tab.void(line_id)
        return self._changed(tab)

    def do_send(self, table_id: str, course: int | None = None) -> dict[str, Any] | None:
        """The next round to the kitchen: what is not sent yet (of `course` and the
        drinks, when given). The round is marked sent only once its tickets went."""
        tab = self._tab(table_id)
        trial = Tab.from_dict(tab.as_dict())
        number, lines = trial.send(course)
        note = COURSE_NOTES.get(course or 0, "") if course else ""
        answer = self.register.kitchen(
            table=self.plan().table(table_id).name if self._on_plan(table_id) else table_id,
            covers=tab.covers,
            note=f"Service {number}" + (f" : {note}" if note else ""),
            lines=kitchen_lines(lines),
        )
        if answer is None:
            return None  # the register said why (printers out of reach, refused)
        tab.send(course)
        job = str(answer.get("job_id") or "")
        if job:
            self.jobs.setdefault(tab.opening, {})[str(number)] = job
        return self._changed(tab, "round_sent", round=number, job_id=job,
                             course=COURSES.get(course or 0))  # fmt: skip

    def _on_plan(self, table_id: str) -> bool:
        return any(t.table_id == table_id for t in self.plan().tables)

    def do_reprint(self, table_id: str, round: int) -> dict[str, Any] | None:
        """The tickets of round `round` again, marked as a reprint on the paper."""
        tab = self._tab(table_id)
        lines = tab.round_lines(round)
        job = self.jobs.get(tab.opening, {}).get(str(round))
        if job and self.online:
            try:
                self.api().reprint_job(job)
            except Rejected as e:
                log.info("reprint of %s refused (%s): printed again as a new ticket", job, e)
            except ServerError as e:
                self._lost(e)
            else:
                return self.core.publish(
                    "round_reprinted", table_id=table_id, round=round, job_id=job, copy=True
                )
        answer = self.register.kitchen(
            table=table_id,
            covers=tab.covers,
            note=f"REIMPRESSION du service {round}",
            lines=kitchen_lines(lines),
        )
        if answer is None:
            return None
        return self.core.publish("round_reprinted", table_id=table_id, round=round,
                                 job_id=answer.get("job_id"))  # fmt: skip

    def do_move(self, table_id: str, to: str) -> dict[str, Any]:
        tab = self._tab(table_id)
        self.plan().table(to)
        if self.online:
            self.refresh()
        if to in self.tabs or to in self.elsewhere:
            raise TableError("table_occupied", f"table {to} is already open: merge them instead")
        with self.lock:
            self.tabs.pop(table_id, None)
            tab.move_to(to)
        return self._changed(tab, "table_moved", moved_from=table_id)

    def do_merge(self, table_id: str, other: str) -> dict[str, Any]:
        tab, gone = self._tab(table_id), self._tab(other)
        tab.merge(gone)
        self._changed(gone, "table_closed", merged_into=table_id)
        return self._changed(tab, "table_merged", merged=other)

    def do_assign(
        self, table_id: str, line_id: str, guest: int | None = None, quantity: int | None = None
    ) -> dict[str, Any]:
        tab = self._tab(table_id)
        tab.assign(line_id, guest, quantity)
        return self._changed(tab)

    def do_split(self, table_id: str, shares: int) -> dict[str, Any]:
        tab = self._tab(table_id)
        amounts = tab.split_equally(shares)
        return self._changed(tab, shares=amounts)

    def do_take(self, table_id: str) -> dict[str, Any] | None:
        """Hold table `table_id` from now on (another till held it)."""
        if not self.online:
            raise TableError(
                "take_needs_server", "a table is taken over through the store server: not now"
            )
        try:
            answer = self.api().tables("POST", f"/{table_id}/take")
        except Rejected as e:
            raise TableError(e.code, e.message) from None
        except ServerError as e:
            self._lost(e)
            raise TableError("server_unreachable", e.message) from None
        tab = Tab.from_dict(answer["tab"])
        with self.lock:
            self.elsewhere.pop(table_id, None)
            self.tabs[table_id] = tab
            self.synced[tab.opening] = [ln.line_id for ln in tab.lines]
            self.save()
        return self.core.publish("table_taken", table=self.summary(tab))

    def do_pay(
        self,
        table_id: str,
        method: str,
        amount: int | None = None,
        guest: int | None = None,
    ) -> dict[str, Any] | None:
        """A payment on the table's bill (a guest's part, or all that is left). The
        part is closed as a sale once paid; the table closes with its last part."""
        tab = self._tab(table_id)
        if self.online and tab.opening not in self.bills:
            self.sync.paying(tab, True)
        with self.lock:
            bill = self.bills.get(tab.opening)
            if bill is None or (bill.table.get("part") != _part(guest) and not bill.payments):
                bill = tab.part_sale(guest)
            if amount is None and tab.shares and guest is None:  # the next share
                shares = equal_shares(bill.total, tab.shares)
                amount = shares[min(len(bill.payments), len(shares) - 1)]
                amount = min(amount, bill.due)
            saved, self.register.sale = self.register.sale, bill
            try:
                record = self.register.pay(method, amount)
            finally:
                self.register.sale = saved
            if record is not None:
                self.bills.pop(tab.opening, None)
                tab.paid_with(record)
            elif bill.payments:  # a share of an equal split: the bill waits for the next
                self.bills[tab.opening] = bill
            else:
                return None
        if record is None:
            return self.core.publish("table", table=self.summary(tab), share_paid=amount)
        if self.online and not tab.closed:
            self.sync.paying(tab, False)
        event = "table_closed" if tab.closed else "table_paid"
        return self._changed(tab, event, sale_id=record["sale_id"], total=record["total"])

    def do_close(self, table_id: str) -> dict[str, Any]:
        """Close a table with nothing left to pay (guests who left before ordering)."""
        tab = self.tabs.get(table_id)
        if tab is None:
            raise TableError("table_closed", f"table {table_id} is closed: nothing to close")
        tab.close_empty()
        return self._changed(tab, "table_closed")


def _part(guest: int | None) -> str:
    return "all" if guest is None else f"guest-{guest}"
