"""The till core: its mode, its questions to the cashier, its link to the server.

`Till` is what a screen drives: commands are methods, what happens comes back
as events (dicts) to the subscribers of `till.bus`. The sale commands live in
`selling.py`, the background work (discovery, heartbeat, drain, upload) in
`link.py`. Nothing runs until `start()`; `stop()` ends it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appliance.domain import EventType, Sale, format_cents

from .bus import EventBus
from .client import ServerClient, ServerError
from .config import TillConfig
from .discovery import Discovery, Sighting, probe
from .eventlog import EventLog
from .fetcher import SnapshotFetcher
from .modes import ASKING_MODES, Mode, Question, Signal, ask_autonomous, ask_upload, step
from .outbox import Outbox
from .selling import Selling
from .snapshot import Catalogue, SnapshotStore

__all__ = ["Till"]

log = logging.getLogger(__name__)

#: a till clock this far off the server's (seconds) is shown to the cashier (the
#: server's threshold for its `clock_off` journal event is the same)
CLOCK_OFF_S = 60

ANSWERS = {"yes": Signal.YES, "retry": Signal.RETRY, "send": Signal.SEND, "later": Signal.LATER}


class Till(Selling):
    def __init__(
        self,
        data_dir: Path,
        *,
        config: TillConfig | None = None,
        server_hint: str | None = None,
        mdns_interfaces: list[str] | None = None,
        mdns: bool | None = None,
        now: Callable[[], datetime] | None = None,
        client_factory: Callable[..., Any] = ServerClient,
        probe_fn: Callable[..., Sighting | None] = probe,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.config = config or TillConfig.load(self.data_dir)
        #: every connection to the server: TLS trusting only the certificate pinned at
        #: enrolment (NotEnrolled if the till holds none)
        self.tls = self.config.tls_context()
        self.settings = self.config.settings
        self.till_id = self.config.till_id
        self.server_hint = server_hint
        self.mdns_interfaces = (
            list(mdns_interfaces) if mdns_interfaces else list(self.settings.mdns_interfaces)
        )
        self.use_mdns = self.settings.mdns if mdns is None else mdns
        self.now = now or (lambda: datetime.now(UTC))
        self.bus = EventBus()
        self.lock = threading.RLock()
        self.mode = Mode.BOOT
        self.question: Question | None = None
        self.outbox: Outbox = None  # type: ignore[assignment]  # set by open()
        self.events: EventLog = None  # type: ignore[assignment]
        self.snapshots = SnapshotStore(self.data_dir / "snapshot")
        self.catalogue: Catalogue | None = None
        self.server_url: str | None = self.config.server_url
        self.server_snapshot: int | None = None
        self.discovery: Discovery | None = None
        self._client: Any = None
        self._client_factory = client_factory
        self.probe = probe_fn
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self._pending_action: tuple[str, Any] | None = None
        self.asked_back = False
        self.back_seen: Sighting | None = None
        self.rewound_to: int | None = None  # see server_holds
        self.clock_offset: int | None = None  # see clock_seen
        self.fetcher = SnapshotFetcher(self)
        self.sale = Sale()
        self.cashier: dict[str, Any] | None = None
        #: follow each order the server prints and say what became of it (kitchenwatch)
        self.follow_kitchen = True
        #: the record of the last sale closed in this run (its receipt is printed from it)
        self.last_sale: dict[str, Any] | None = None
        #: the scanner, receipt printer, drawer and direct kitchen printers, once
        #: `devices.TillDevices.attach(till)` hung them here (None: a till without devices)
        self.devices: Any = None

    # -- life ------------------------------------------------------------------
    def open(self) -> None:
        """Read the files (outbox, events, snapshot). No thread, no socket."""
        self.outbox = Outbox.open(self.data_dir)
        self.events = EventLog.open(self.data_dir, self.till_id, now=self.now)
        self.catalogue = self.snapshots.load()
        box = self.outbox
        # the journal of a till that stopped cleanly ends with `shutdown`
        clean = self.events.last_type() in (None, str(EventType.SHUTDOWN))
        last = _sale_fields(box.last_record())
        self.events.record(
            EventType.BOOT,
            last_seq=box.last_seq,
            acked=box.acked,
            pending=box.pending_count,
            snapshot=self.catalogue.version if self.catalogue else None,
            torn_bytes=len(box.torn),
            kept_aside=len(box.kept_aside),
            clean_stop=clean,
        )
        self.bus.publish("boot", **self.status_fields(), clean_stop=clean)
        if not clean:
            self.bus.publish("recovered", last_sale=last, message=recovered_text(last))
        if box.torn or box.kept_aside:
            self.bus.publish(
                "outbox_repaired",
                torn_bytes=len(box.torn),
                kept_aside=len(box.kept_aside),
                message="a torn last line (never acknowledged) was cut away; unreadable lines "
                "are kept aside and will be sent to the server's quarantine",
            )

    def start(self, *, background: bool = True) -> None:
        """Open, then look for the server (threads only when `background`)."""
        from .link import Link

        self.open()
        if background:
            if self.use_mdns:
                self.discovery = Discovery(
                    self.config.server_id,
                    interfaces=self.mdns_interfaces,
                    on_seen=self._mdns_seen,
                    on_gone=self._mdns_gone,
                )
                try:
                    self.discovery.start()
                except OSError as e:
                    log.warning("mDNS unavailable (%s): direct probes only", e)
                    self.discovery = None
            link = Link(self)
            self.threads.append(link)
            link.start()
        self.signal(Signal.START)

    def stop(self) -> None:
        if self.devices is not None:
            self.devices.stop()  # the receipt being printed first
        self.stopping.set()
        self.wake.set()
        for t in self.threads:
            t.join(timeout=15)
        if self.discovery is not None:
            self.discovery.stop()
        if self._client is not None:
            self._client.close()
        if self.events is not None and self.outbox is not None:
            box = self.outbox
            self.events.record(EventType.SHUTDOWN, last_seq=box.last_seq, acked=box.acked)
        if self.outbox is not None:
            self.outbox.close()
        if self.events is not None:
            self.events.close()

    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        return self.bus.subscribe(callback)

    # -- the server --------------------------------------------------------------
    def client(self) -> Any:
        with self.lock:
            if self._client is None:
                if not self.server_url:
                    raise ServerError("no_server", "no server address known yet")
                self._client = self._client_factory(
                    self.server_url,
                    self.config.token,
                    tls=self.tls,
                    timeout=self.settings.request_timeout_s,
                    long_timeout=self.settings.upload_timeout_s,
                )
            return self._client

    def set_server(self, url: str) -> None:
        with self.lock:
            if url == self.server_url:
                return
            if self._client is not None:
                self._client.close()
                self._client = None
            self.server_url = url
            if self.config.server_url != url:
                self.config.server_url = url
                try:
                    self.config.save(self.data_dir)
                except OSError as e:
                    log.warning("cannot save the server address: %s", e)

    def _mdns_seen(self, seen: Sighting) -> None:
        self.back_seen = seen
        if self.mode is Mode.ONLINE and seen.url == self.server_url:
            self.want_snapshot(seen.snapshot_version)  # announced in the TXT record
        self.wake.set()

    def _mdns_gone(self, server_id: str) -> None:
        if self.mode is Mode.ONLINE:
            self.on_lost("the server said goodbye on the network (mDNS)")

    # -- modes ---------------------------------------------------------------
    def signal(self, signal: Signal, *, reason: str = "") -> bool:
        """Apply one transition of modes.py; False when it means nothing now."""
        with self.lock:
            old = self.mode
            new = step(old, signal)
            if new is None:
                return False
            self.mode = new
            self.question = None
            self.events.record(EventType.MODE_CHANGED, **{"from": str(old), "to": str(new)})
            if new is Mode.AUTONOMOUS:
                self.events.record(EventType.AUTONOMOUS_STARTED, reason=reason or str(signal))
                if old is not Mode.ASK_UPLOAD:
                    # a new outage: "send N sales?" will be asked again when it ends
                    # (only "later" to that question keeps the till from asking)
                    self.asked_back = False
            pending = self.outbox.pending_count
            self.bus.publish(
                "mode", mode=str(new), previous=str(old), server=self.server_url, pending=pending
            )
            if new is Mode.ASK_AUTONOMOUS:
                self._ask(ask_autonomous(reason or "not found", pending))
            elif new is Mode.ASK_UPLOAD:
                self.asked_back = True  # "send N sales?" is asked once a run
                self._ask(ask_upload(pending))
            elif new is Mode.AUTONOMOUS:
                self.back_seen = None  # only a later mDNS advert says it is back
        self.wake.set()
        if new in (Mode.ONLINE, Mode.AUTONOMOUS):
            self.replay_pending()
        return True

    def _ask(self, question: Question) -> None:
        self.question = question
        self.bus.publish("question", **question.fields(pending=self.outbox.pending_count))

    def on_found(self, seen: Sighting) -> None:
        """The link found our server while DISCOVERING."""
        self.set_server(seen.url)
        self.server_snapshot = seen.snapshot_version
        if self.catalogue is None and seen.snapshot_version is not None:
            self.fetch_snapshot(seen.snapshot_version)
        waiting = self.outbox.autonomous_pending
        self.signal(Signal.FOUND_WITH_SALES if waiting else Signal.FOUND)

    def on_not_found(self) -> None:
        self.signal(Signal.NOT_FOUND, reason="the store server was not found on the network")

    def on_lost(self, reason: str) -> None:
        """Any request error or timeout, a failed heartbeat or an mDNS goodbye."""
        log.warning("server lost: %s", reason)
        self.signal(Signal.SERVER_LOST, reason=reason)

    def on_server_back(self, seen: Sighting) -> None:
        """Noticed while autonomous (mDNS or the 5 s health check): ask once per run."""
        with self.lock:
            if self.asked_back or self.mode is not Mode.AUTONOMOUS:
                return
            self.asked_back = True
        self.set_server(seen.url)
        self.signal(Signal.SERVER_BACK)

    def server_holds(self, held: Any) -> None:
        """The server says it holds this till's sales 1..`held` (health, upload answers).

        Fewer than `outbox.acked`: the server lost sales it had acknowledged (its
        data was restored from a backup). The cursor goes back to `held` and those
        sales go again (the outbox keeps every sale; the server takes each one
        once); so do the journal events. Once per value a run: a server whose
        contiguous seq stays below after they went again holds a hole it cannot
        fill, and sending them once more would change nothing. (A line the till
        could not read and that names no seq is such a hole: `Outbox.hole_after`.)"""
        if not isinstance(held, int) or isinstance(held, bool) or held < 0:
            return
        box = self.outbox
        if held >= box.acked or held == self.rewound_to or box.hole_after(held):
            return
        before = box.rewind_acked(held)
        if before is None:
            return
        self.rewound_to = held
        self.events.rewind()
        self.events.record(
            EventType.ACKED_REWOUND,
            acked=before,
            server_holds=held,
            server_id=self.config.server_id,
        )
        pending = box.pending_count
        log.warning("server holds sales 1-%d only, %d were acknowledged: resending", held, before)
        self.bus.publish(
            "resend",
            acked=held,
            was=before,
            pending=pending,
            message=f"the store server holds this till's sales up to no. {held} only (restored "
            f"from a backup?): sales {held + 1}-{before} are sent to it again",
        )
        self.wake.set()

    def clock_seen(self, offset: Any) -> None:
        """The server's reading of this till's clock (till minus server, seconds): a
        minute or more off, the cashier is told (once per change). The sales keep
        the till's time; the server puts them on the right business day."""
        if not isinstance(offset, int) or isinstance(offset, bool):
            return
        off = abs(offset) >= CLOCK_OFF_S
        told = self.clock_offset  # None: in step, as far as the cashier knows
        if (told is None and not off) or (
            told is not None and off and abs(offset - told) < CLOCK_OFF_S
        ):
            return
        self.clock_offset = offset if off else None
        if not off:
            self.bus.publish(
                "clock_off", offset_s=offset, message="the till's clock is right again"
            )
            return
        minutes = round(abs(offset) / 60)
        span = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
        way = "behind" if offset < 0 else "ahead of"
        self.bus.publish(
            "clock_off",
            offset_s=offset,
            message=f"this till's clock is {span} {way} the store server's: sales keep the "
            "till's time and the server files them on its own day; have the clock set",
        )

    def on_upload_done(self) -> None:
        self.signal(Signal.UPLOAD_DONE)

    def on_upload_interrupted(self, reason: str) -> None:
        self.signal(Signal.UPLOAD_INTERRUPTED, reason=reason)

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
        self.signal(ANSWERS[answer])

    def upload(self) -> None:
        """The cashier's 'upload now': send every pending sale, in batches."""
        with self.lock:
            if self.mode is Mode.ASK_UPLOAD:
                self.signal(Signal.SEND)
                return
            if self.mode not in (Mode.AUTONOMOUS, Mode.ONLINE):
                self.error("cannot_upload_now", f"cannot start an upload in mode {self.mode}")
                return
            if not self.server_url:
                self.error("no_server", "no store server address known yet")
                return
            self.signal(Signal.UPLOAD_NOW)

    # -- snapshot ----------------------------------------------------------------
    def want_snapshot(self, version: int | None, sha256: str | None = None) -> None:
        """Fetch `version` in the background if it is not the installed one."""
        self.fetcher.want(version, sha256)

    def fetch_snapshot(self, version: int | None = None) -> bool:
        """Download, check and install the server's snapshot now; True when installed."""
        return self.fetcher.fetch(version)

    # -- devices ---------------------------------------------------------------
    def reprint_last(self) -> bool:
        """Print the last sale's receipt again, marked DUPLICATA (in the device thread)."""
        if self.devices is None:
            self.error("no_printer", "no receipt printer is configured on this till")
            return False
        return bool(self.devices.reprint_last())

    def open_drawer(self, reason: str = "") -> bool:
        """A manager opens the cash drawer outside a sale; refused to anyone else."""
        if self.devices is None:
            self.error("no_drawer", "no cash drawer is configured on this till")
            return False
        return bool(self.devices.open_drawer(reason))

    def device_status(self) -> dict[str, Any]:
        """The devices' state (printer, scanner, drawer, kitchen), also published."""
        fields = self.devices.device_status() if self.devices is not None else {}
        return self.bus.publish("device_status", **fields)

    # -- status ----------------------------------------------------------------
    def status_fields(self) -> dict[str, Any]:
        box = self.outbox
        return {
            "mode": str(self.mode),
            "till_id": self.till_id,
            "server": self.server_url,
            "server_id": self.config.server_id,
            "pending": box.pending_count if box else 0,
            "offline_pending": box.autonomous_pending if box else 0,
            "last_seq": box.last_seq if box else 0,
            "acked": box.acked if box else 0,
            "snapshot_version": self.catalogue.version if self.catalogue else None,
            "cashier": self.cashier.get("cashier_id") if self.cashier else None,
            "question": self.question.id if self.question else None,
        }

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


def _sale_fields(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    keys = ("seq", "sale_id", "total", "closed_at", "mode", "hash")
    return {k: record.get(k) for k in keys}


def recovered_text(last: dict[str, Any] | None) -> str:
    """What the cashier is told after a crash or a power cut."""
    head = "The till stopped without shutting down (power cut or crash). "
    if last is None:
        return head + (
            "No sale is recorded on this till: a sale that was on screen was NOT recorded; "
            "ring it up again."
        )
    when = str(last.get("closed_at") or "")[:19].replace("T", " ")
    return (
        head + f"The last sale recorded is no. {last['seq']} "
        f"({format_cents(int(last.get('total') or 0))}, closed {when}): it is kept and goes "
        "to the server, even if its receipt did not print. A sale on screen after it was "
        "NOT recorded: ring it up again."
    )
