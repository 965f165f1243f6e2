"""The till core: a state machine (modes.py) and the services it is given.

`Till` is what a screen drives: commands are methods, what happens comes back
as events (dicts) to the subscribers of `till.bus`. It holds the mode, the
question put to the cashier and the catalogue sold from, and wires its
collaborators, each given only what it needs (docs/architecture.md, "The till
core"): `Register` (register.py: the sale, the cashier, the outbox append), `Link`
(link.py: the thread to the server), `SnapshotFetcher` (fetcher.py), `Connection`
(connection.py: the server and its one client), the desks of refunds, held orders,
tables and cash. They tell the core what they saw through one door, `signal(news)`
(ports.py); nothing else changes its mode. Nothing runs until `start()`; `stop()`
ends it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.domain import Clock, EventType, Sale, utc_now

from .bus import EventBus
from .cash import CashDesk
from .client import ServerClient
from .config import Settings, TillConfig
from .connection import Connection
from .deltas import DeltaFollower, till_version
from .discovery import Discovery, Sighting, probe, start_discovery
from .eventlog import EventLog
from .fetcher import SnapshotFetcher
from .held import HeldOrders
from .link import Link
from .modes import ASKING_MODES, Mode, Question, Signal, ask_autonomous, ask_upload, step
from .outbox import Outbox
from .ports import (
    Back,
    ClockRead,
    DevicePort,
    Found,
    Holds,
    Lost,
    News,
    NoServerFound,
    SnapshotAnnounced,
    SnapshotReady,
    UploadDone,
    UploadInterrupted,
)
from .readings import ServerReadings, announce_boot, status_fields
from .refunds import RefundDesk
from .register import Register
from .search import price_check
from .snapshot import Catalogue, SnapshotStore
from .tables import TableBook
from .unplugged import Unplugged
from .update_status import UpdateWatch
from .xreport import x_report

__all__ = ["Till"]

log = logging.getLogger(__name__)

ANSWERS = {"yes": Signal.YES, "retry": Signal.RETRY, "send": Signal.SEND, "later": Signal.LATER}


class Till:
    def __init__(
        self,
        data_dir: Path,
        *,
        config: TillConfig | None = None,
        server_hint: str | None = None,
        mdns_interfaces: list[str] | None = None,
        mdns: bool | None = None,
        now: Clock | None = None,
        client_factory: Callable[..., Any] = ServerClient,
        probe_fn: Callable[..., Sighting | None] = probe,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.config = config or TillConfig.load(self.data_dir)
        #: every connection to the server: TLS trusting only the certificate pinned at
        #: enrolment (NotEnrolled if the till holds none)
        self.tls = self.config.tls_context()
        self.till_id = self.config.till_id
        self.server_hint = server_hint
        self.mdns_interfaces = (
            list(mdns_interfaces) if mdns_interfaces else list(self.settings.mdns_interfaces)
        )
        self.use_mdns = self.settings.mdns if mdns is None else mdns
        self.now = now or utc_now
        self.bus = EventBus()
        self.lock = threading.RLock()
        self.mode = Mode.BOOT
        self.question: Question | None = None
        self.outbox: Outbox = None  # type: ignore[assignment]  # set by open()
        self.events: EventLog = None  # type: ignore[assignment]
        self.snapshots = SnapshotStore(self.data_dir / "snapshot")
        self.catalogue: Catalogue | None = None
        self.server = Connection(self.config, self.data_dir, tls=self.tls, factory=client_factory)
        self.server_snapshot: int | None = None
        self.discovery: Discovery | None = None
        self.probe = probe_fn
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.asked_back = False
        #: autonomous after "later" (the server just found): it answers (modes.reaches_server)
        self.server_answers = False
        #: set by open(): the collaborators, each given what it needs
        self.register: Register = None  # type: ignore[assignment]
        self.link: Link = None  # type: ignore[assignment]
        #: publishes the last update's result (update-status.json) for the status bar
        self.update_watch: UpdateWatch | None = None
        self.fetcher: SnapshotFetcher = None  # type: ignore[assignment]
        self.readings: ServerReadings = None  # type: ignore[assignment]
        #: the scanner, receipt printer, drawer and direct kitchen printers, once
        #: plugged (`plug_devices`, by `devices.TillDevices.attach(till)`); None: none
        self._devices: DevicePort | None = None

    @property
    def devices(self) -> DevicePort | None:
        """The devices plugged in (read only: `plug_devices` changes it)."""
        return self._devices

    @property
    def settings(self) -> Settings:
        return self.config.settings

    @property
    def server_url(self) -> str | None:
        return self.server.url

    # -- life ------------------------------------------------------------------
    def open(self) -> None:
        """Read the files, wire the collaborators (no thread, no socket)."""
        self.outbox = Outbox.open(self.data_dir)
        self.events = EventLog.open(self.data_dir, self.till_id, now=self.now)
        self.catalogue = self.snapshots.load()
        #: today's changes of the catalogue, long-polled while online (deltas.py)
        self.deltas = DeltaFollower(
            self, self.config, self.data_dir / "snapshot", tls=self.tls, stop=self.stopping,
            server_url=lambda: self.server.url, follows=lambda: self.register.reaches_server(),
            take_snapshot=self.fetch_snapshot, version=till_version(),
        )  # fmt: skip
        self.deltas.replay()
        api = self.server.api
        self.register = Register(
            self, api, self.outbox, self.events,
            till_id=self.till_id, now=self.now, lock=self.lock, wake=self.wake,
            stop=self.stopping, devices=lambda: self.devices,
            fetch_snapshot=lambda: self.fetch_snapshot(self.server_snapshot),
            server_known=lambda: bool(self.server.url), merge=self.settings.merge_lines,
        )  # fmt: skip
        self.fetcher = SnapshotFetcher(self, api, self.snapshots, self.config, self.events)
        self.tables = TableBook(
            self, api, self.register, self.data_dir, till_id=self.till_id, lock=self.lock,
            now=self.now,
        )  # fmt: skip
        self.bus.subscribe(self.tables.heard)
        self.refunds = RefundDesk(
            self, api, self.outbox, till_id=self.till_id, cashier=lambda: self.register.cashier,
            now=self.now, lock=self.lock, wake=self.wake,
            threshold=lambda: self.settings.refund_manager_above,
        )  # fmt: skip
        self.held = HeldOrders(self, self.register, self.data_dir, lock=self.lock, now=self.now)
        self.cash_desk = CashDesk(
            self, self.outbox, till_id=self.till_id, cashier=lambda: self.register.cashier,
            report=self.x_report, now=self.now, lock=self.lock, wake=self.wake,
        )  # fmt: skip
        self.readings = ServerReadings(
            self.outbox, self.events, self.bus.publish, self.wake, self.config.server_id
        )
        self.link = Link(
            self, self.server, self.outbox, self.events, self.config, self.stopping,
            wake=self.wake, now=self.now, addresses=self._addresses, probe_fn=self.probe,
            tls=self.tls,
        )  # fmt: skip
        announce_boot(
            self.outbox, self.events, self.bus.publish, self.status_fields,
            self.catalogue.version if self.catalogue else None,
        )  # fmt: skip

    def start(self, *, background: bool = True) -> None:
        """Open, then look for the server (threads only when `background`)."""
        self.open()
        if background:
            if self.use_mdns:
                self.discovery = start_discovery(
                    self.config.server_id, self.mdns_interfaces, self.link.mdns_seen,
                    self._mdns_gone,
                )  # fmt: skip
            self.link.start()
            self.deltas.start()  # not joined at stop: it may be in a long-poll
            self.update_watch = UpdateWatch(self.bus.publish, self.stopping)
            self.update_watch.start()
        self.signal(Signal.START)

    def stop(self) -> None:
        if self.devices is not None:
            self.devices.stop()  # the receipt being printed first
        self.stopping.set()
        self.wake.set()
        threads = [self.link] if self.link is not None and self.link.is_alive() else []
        if self.update_watch is not None:
            threads.append(self.update_watch)
        for t in threads + (self.fetcher.threads if self.fetcher is not None else []):
            t.join(timeout=15)
        if self.discovery is not None:
            self.discovery.stop()
        self.server.close()
        if self.events is not None and (box := self.outbox) is not None:
            self.events.record(EventType.SHUTDOWN, last_seq=box.last_seq, acked=box.acked)
        if self.outbox is not None:
            self.outbox.close()
        if self.events is not None:
            self.events.close()

    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        return self.bus.subscribe(callback)

    def publish(self, name: str, /, **fields: Any) -> dict[str, Any]:
        return self.bus.publish(name, **fields)

    # -- the server --------------------------------------------------------------
    def _addresses(self) -> list[str | None]:
        urls = [self.server_hint, self.server.url, self.config.server_url]
        if self.discovery is not None and self.discovery.latest is not None:
            urls.append(self.discovery.latest.url)
        return urls

    def _mdns_gone(self, server_id: str) -> None:
        if self.mode is Mode.ONLINE:
            self.signal(Lost("the server said goodbye on the network (mDNS)"))

    # -- the one door: a transition, or news of what a collaborator saw ------------
    def signal(self, news: News | Signal, *, reason: str = "") -> bool:
        """Apply a transition of modes.py (False: it means nothing now) or news (ports.py)."""
        if isinstance(news, Signal):
            return self._step(news, reason=reason)
        match news:
            case Found(seen):
                self._found(seen)
            case NoServerFound():
                self._step(Signal.NOT_FOUND, reason="the store server was not found on the network")
            case Lost(why):
                log.warning("server lost: %s", why)
                self._answers(False)
                return self._step(Signal.SERVER_LOST, reason=why)
            case Back(seen):
                self._back(seen)
            case Holds(held):
                self.readings.holds(held)
            case ClockRead(offset):
                self.readings.clock(offset)
            case SnapshotAnnounced(version, sha256):
                if isinstance(version, int):
                    self.server_snapshot = version
                    self.fetcher.want(version, sha256)
            case SnapshotReady(cat, size):
                with self.lock:
                    self.catalogue = cat
                self.deltas.snapshot_installed()  # today's changes it does not fold in
                self.events.record(EventType.SNAPSHOT_INSTALLED, version=cat.version, size=size)
                self.bus.publish(
                    "snapshot_installed", version=cat.version, articles=len(cat.articles)
                )
            case UploadDone():
                return self._step(Signal.UPLOAD_DONE)
            case UploadInterrupted(why):
                return self._step(Signal.UPLOAD_INTERRUPTED, reason=why)
        return True

    def _step(self, signal: Signal, *, reason: str = "") -> bool:
        with self.lock:
            old = self.mode
            new = step(old, signal)
            if new is None:
                return False
            self.mode = new
            self.question = None
            self.server_answers = new is Mode.AUTONOMOUS and old is Mode.ASK_UPLOAD
            self.events.record(EventType.MODE_CHANGED, **{"from": str(old), "to": str(new)})
            if new is Mode.AUTONOMOUS:
                self.events.record(EventType.AUTONOMOUS_STARTED, reason=reason or str(signal))
                if old is not Mode.ASK_UPLOAD:
                    # a new outage: "send N sales?" will be asked again when it ends
                    # (only "later" to that question keeps the till from asking)
                    self.asked_back = False
            pending = self.outbox.pending_count
            self.bus.publish(
                "mode", mode=str(new), previous=str(old), server=self.server.url, pending=pending,
                server_answers=self.server_answers,
            )  # fmt: skip
            if new is Mode.ASK_AUTONOMOUS:
                self._ask(ask_autonomous(reason or "not found", pending))
            elif new is Mode.ASK_UPLOAD:
                self.asked_back = True  # "send N sales?" is asked once a run
                self._ask(ask_upload(pending))
            elif new is Mode.AUTONOMOUS:
                self.link.forget_heard()  # only a later mDNS advert says it is back
        self.wake.set()
        if new in (Mode.ONLINE, Mode.AUTONOMOUS):
            self.register.replay_pending()
        return True

    def _answers(self, answers: bool) -> None:
        """Autonomous after "later": whether the server answers now (said when it changes)."""
        with self.lock:
            if answers != self.server_answers:
                self.server_answers, n = answers, self.outbox.pending_count
                self.bus.publish("server_answers", answers=answers, mode=str(self.mode), pending=n)

    def _ask(self, question: Question) -> None:
        self.question = question
        self.bus.publish("question", **question.fields(pending=self.outbox.pending_count))

    def _found(self, seen: Sighting) -> None:
        """The link found our server while DISCOVERING."""
        self.server.use(seen.url)
        self.server_snapshot = seen.snapshot_version
        if self.catalogue is None and seen.snapshot_version is not None:
            self.fetch_snapshot(seen.snapshot_version)
        waiting = self.outbox.autonomous_pending
        self._step(Signal.FOUND_WITH_SALES if waiting else Signal.FOUND)

    def _back(self, seen: Sighting) -> None:
        """Noticed while autonomous (mDNS, 5 s health check): asked once a run, then answers."""
        with self.lock:
            if self.mode is not Mode.AUTONOMOUS:
                return
            if self.asked_back:
                self.server.use(seen.url)
                self._answers(True)
                return
            self.asked_back = True
        self.server.use(seen.url)
        self._step(Signal.SERVER_BACK)

    # -- commands: the cashier's questions ---------------------------------------
    def answer(self, question: str | None, answer: str) -> None:
        with self.lock:
            q = self.question
            if q is None or (question and question != q.id):
                self.error("no_such_question", f"there is no open question {question or ''}")
                return
            if answer not in q.choices:
                self.error("bad_answer", f"answer one of {', '.join(q.choices)}")
                return
            self.bus.publish("answered", question=q.id, answer=answer)
        self._step(ANSWERS[answer])

    def upload(self) -> None:
        """The cashier's 'upload now': send every pending sale, in batches."""
        with self.lock:
            if self.mode is Mode.ASK_UPLOAD:
                self._step(Signal.SEND)
                return
            if self.mode not in (Mode.AUTONOMOUS, Mode.ONLINE):
                self.error("cannot_upload_now", f"cannot start an upload in mode {self.mode}")
                return
            if not self.server.url:
                self.error("no_server", "no store server address known yet")
                return
            self._step(Signal.UPLOAD_NOW)

    # -- commands: the sale (the register's) ---------------------------------------
    @property
    def sale(self) -> Sale:
        return self.register.sale

    @property
    def cashier(self) -> dict[str, Any] | None:
        return self.register.cashier if self.register is not None else None

    def login(self, cashier_id: str, pin: str) -> bool:
        return self.register.login(cashier_id, pin)

    def logout(self) -> None:
        self.register.logout()

    def scan(self, code: str, quantity: int = 1, *, request: Any = None) -> None:
        self.register.scan(code, quantity, request=request)

    def add(self, article_id: str, quantity: int = 1, *, request: Any = None) -> None:
        self.register.add(article_id, quantity, request=request)

    def set_quantity(self, index: int, quantity: int) -> None:
        self.register.set_quantity(index, quantity)

    def set_price(self, index: int, cents: int, manager: Any = None) -> None:
        self.register.set_price(index, cents, manager)

    def discount(self, index: int | None = None, **how: Any) -> None:
        self.register.discount(index, **how)

    def void(self, index: int, manager: Any = None) -> None:
        self.register.void(index, manager)

    def cancel(self, manager: Any = None) -> None:
        self.register.cancel(manager)

    def remove_payment(self, index: int) -> None:
        self.register.remove_payment(index)

    def set_eat_in(self, on: bool) -> None:
        self.register.set_eat_in(on)

    def card_answer(self, accepted: bool) -> dict[str, Any] | None:
        return self.register.card_answer(accepted)

    def pay(self, *args: Any, **kw: Any) -> dict[str, Any] | None:
        return self.register.pay(*args, **kw)

    def create_article(self, article: dict[str, Any]) -> dict[str, Any] | None:
        return self.register.create_article(article)

    def kitchen(self, *args: Any, **kw: Any) -> dict[str, Any] | None:
        return self.register.kitchen(*args, **kw)

    def sale_summary(self) -> dict[str, Any]:
        return self.register.sale_summary()

    def table(self, action: str, table_id: str = "", **args: Any) -> dict[str, Any] | None:
        """A restaurant table's command (till/tables.py): open, order, send, ..."""
        return self.tables.run(action, table_id, **args)

    def refund(self, action: str, **args: Any) -> dict[str, Any] | None:
        """A refund's step (till/refunds.py): find a ticket, refund lines, cancel."""
        return self.refunds.run(action, **args)

    def price_check(self, query: str) -> dict[str, Any]:
        """An article by barcode or name, not sold (search.py): `price_check`."""
        return self.publish("price_check", **price_check(self.catalogue, query))

    def hold(self, action: str, **args: Any) -> Any:
        """A held order's step (till/held.py): park, list, resume, discard."""
        return self.held.run(action, **args)

    def cash(self, action: str, **args: Any) -> dict[str, Any] | None:
        """Cash control (till/cash.py): float, in, out, count, expected."""
        return self.cash_desk.run(action, **args)

    # -- snapshot ----------------------------------------------------------------
    def fetch_snapshot(self, version: int | None = None) -> bool:
        return self.fetcher.fetch() is not None  # downloaded, checked, installed

    # -- devices ---------------------------------------------------------------
    def plug_devices(self, devices: DevicePort | None) -> None:
        """The devices the core's device commands reach (None: unplugged)."""
        self._devices = devices

    def record_event(self, kind: EventType, /, **fields: Any) -> None:
        """An event of the till's devices into the journal, durably, before it is said."""
        self.events.record(kind, **fields)

    def last_record(self) -> dict[str, Any] | None:
        """The last sale in the outbox (what a reprint prints after a restart)."""
        return self.outbox.last_record() if self.outbox is not None else None

    def reprint_last(self) -> bool:
        """Print the last sale's receipt again, marked DUPLICATA (in the device thread)."""
        return bool((self._devices or Unplugged(self.error)).reprint_last())

    def open_drawer(self, reason: str = "") -> bool:
        """A manager opens the cash drawer outside a sale; refused to anyone else."""
        return bool((self._devices or Unplugged(self.error)).open_drawer(reason))

    def device_status(self) -> dict[str, Any]:
        """The devices' state (printer, scanner, drawer, kitchen), also published."""
        fields = (self._devices or Unplugged(self.error)).device_status()
        return self.bus.publish("device_status", **fields)

    # -- status ----------------------------------------------------------------
    @property
    def pending_count(self) -> int:
        """Records in the outbox the server does not hold yet."""
        return self.outbox.pending_count if self.outbox is not None else 0

    def x_report(self, now: Any = None) -> dict[str, Any]:
        """Today's X report of this till, from its own outbox and journal (both modes)."""
        events = self.events.all() if self.events is not None else []
        return x_report(self.outbox, self.catalogue, self.till_id, now or self.now(), events)

    def status_fields(self) -> dict[str, Any]:
        return status_fields(self)

    def status(self) -> dict[str, Any]:
        with self.lock:
            fields = self.status_fields()
            fields["sale"] = self.sale_summary()
            return self.bus.publish("status", **fields)

    @property
    def asking(self) -> bool:
        return self.mode in ASKING_MODES

    def error(self, code: str, message: str, **extra: Any) -> dict[str, Any]:
        return self.bus.publish("error", code=code, message=message, **extra)
