"""What the till core's collaborators are given, instead of the whole `Till`.

- `ServerApi`: the store server as a till reaches it (`client.ServerClient`, or
  the tests' fake, `testbed.fakeserver.FakeServer`). It answers with the wire
  models of `appliance.protocol.models`.
- `News`: what a collaborator saw, told to the core through its one inbound
  door, `Core.signal(news)` (the link: found, lost, back, what the server
  holds, the clock; the fetcher: a snapshot ready).
- `Core`: that door, and what a collaborator may read of the core (its mode,
  its catalogue) or say through it (events, errors).

No collaborator imports `session.py` (an import-linter contract checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from appliance.protocol.models import Article, BatchResult, Health, SnapshotMeta

from .discovery import Sighting
from .modes import Mode, Question, Signal

if TYPE_CHECKING:
    from appliance.domain import EventType

    from .bus import EventBus
    from .snapshot import Catalogue

__all__ = [
    "Back",
    "ClockRead",
    "Core",
    "DeviceHost",
    "DevicePort",
    "ScreenHost",
    "Found",
    "Holds",
    "Lost",
    "News",
    "NoServerFound",
    "ServerApi",
    "SnapshotAnnounced",
    "SnapshotReady",
    "UploadDone",
    "UploadInterrupted",
]


class ServerApi(Protocol):
    """The store server's endpoints a till uses (docs/internals.md)."""

    def health(self, last_seq: int | None = None, till_time: datetime | None = None) -> Health: ...
    def barcode(self, code: str) -> Article: ...
    def article(self, article_id: str) -> Article: ...
    def create_article(self, article: dict[str, Any]) -> dict[str, Any]: ...
    def put_sale(self, record: dict[str, Any]) -> str: ...
    def upload(self, till_id: int, records: list[dict[str, Any]]) -> BatchResult: ...
    def post_events(self, till_id: int, events: list[dict[str, Any]]) -> dict[str, Any]: ...
    def snapshot_meta(self) -> SnapshotMeta: ...
    def snapshot(self, version: int) -> tuple[bytes, str | None, str | None]: ...
    def print_job(self, job: dict[str, Any]) -> dict[str, Any]: ...
    def print_job_status(self, job_id: str) -> dict[str, Any]: ...
    def close(self) -> None: ...


#: how a collaborator reaches the server: the client of the address known now (raises
#: `ServerError` when none is known yet)
Api = Callable[[], ServerApi]


# -- news: what a collaborator saw -------------------------------------------------------
@dataclass(frozen=True)
class Found:
    """Our server answered a probe while the till looked for it."""

    seen: Sighting


@dataclass(frozen=True)
class NoServerFound:
    """The discovery timeout passed without an answer."""


@dataclass(frozen=True)
class Lost:
    """A request failed or timed out, a heartbeat failed, an mDNS goodbye."""

    reason: str


@dataclass(frozen=True)
class Back:
    """The server answers again while the till is autonomous (mDNS or a probe)."""

    seen: Sighting


@dataclass(frozen=True)
class Holds:
    """The server holds this till's sales 1..`contiguous` (health, upload answers)."""

    contiguous: Any


@dataclass(frozen=True)
class ClockRead:
    """The server's reading of the till's clock: till minus server, seconds."""

    offset_s: Any


@dataclass(frozen=True)
class SnapshotAnnounced:
    """The server names its snapshot (health answer, mDNS TXT record)."""

    version: int | None
    sha256: str | None = None


@dataclass(frozen=True)
class SnapshotReady:
    """The fetcher checked and installed a snapshot: the till sells from it now."""

    catalogue: Catalogue
    size: int = 0


@dataclass(frozen=True)
class UploadDone:
    """Every pending sale is on the server."""


@dataclass(frozen=True)
class UploadInterrupted:
    reason: str


News = (
    Found
    | NoServerFound
    | Lost
    | Back
    | Holds
    | ClockRead
    | SnapshotAnnounced
    | SnapshotReady
    | UploadDone
    | UploadInterrupted
)


class Core(Protocol):
    """The till core as its collaborators see it."""

    @property
    def mode(self) -> Mode: ...
    @property
    def catalogue(self) -> Catalogue | None: ...
    @property
    def asked_back(self) -> bool: ...
    @property
    def server_answers(self) -> bool: ...
    @property
    def question(self) -> Question | None: ...
    def signal(self, news: News | Signal, *, reason: str = "") -> bool: ...
    def publish(self, name: str, /, **fields: Any) -> dict[str, Any]: ...
    def error(self, code: str, message: str, **extra: Any) -> dict[str, Any]: ...


class DevicePort(Protocol):
    """The till's devices as the core sees them once plugged (`Till.plug_devices`):
    the commands that need the hardware, nothing else."""

    @property
    def direct_kitchen(self) -> Any: ...
    def reprint_last(self) -> bool: ...
    def open_drawer(self, reason: str = "") -> bool: ...
    def device_status(self) -> dict[str, Any]: ...
    def split_kitchen(self, lines: list[dict[str, Any]]) -> tuple[dict[str, Any], list[Any]]: ...
    def print_kitchen(self, job: dict[str, Any], direct: dict[str, Any]) -> None: ...
    def stop(self, timeout: float = 15.0) -> None: ...


class DeviceHost(Protocol):
    """The till core as its devices see it (devices.py, kitchen.py): they hear its
    events (`bus.subscribe`) and say their own (`bus.publish`, `error`), issue
    commands (`scan`, `plug_devices`, `record_event` for the journal), and read the
    catalogue, the cashier and the last sale. Nothing of the core is written here."""

    data_dir: Path
    till_id: int
    bus: EventBus

    @property
    def catalogue(self) -> Catalogue | None: ...
    @property
    def cashier(self) -> dict[str, Any] | None: ...
    def now(self) -> datetime: ...
    def last_record(self) -> dict[str, Any] | None: ...
    def record_event(self, kind: EventType, /, **fields: Any) -> None: ...
    def plug_devices(self, devices: DevicePort | None) -> None: ...
    def scan(self, code: str, quantity: int = 1, *, request: Any = None) -> None: ...
    def error(self, code: str, message: str, **extra: Any) -> dict[str, Any]: ...


class ScreenHost(Protocol):
    """The till core as its screens see it (appliance/ui): they subscribe to its events
    and issue its commands; they read the catalogue (to draw pages and provisional
    lines), the config and the server address, the count of sales waiting, and whether
    devices are plugged. Nothing of the core is written from there."""

    config: Any

    @property
    def catalogue(self) -> Catalogue | None: ...
    @property
    def server_url(self) -> str | None: ...
    @property
    def devices(self) -> DevicePort | None: ...
    @property
    def pending_count(self) -> int: ...
    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]: ...
    def start(self, *, background: bool = True) -> None: ...
    def stop(self) -> None: ...
    def login(self, cashier_id: str, pin: str) -> Any: ...
    def logout(self) -> Any: ...
    def scan(self, code: str, quantity: int = 1, *, request: Any = None) -> Any: ...
    def add(self, article_id: str, quantity: int = 1, *, request: Any = None) -> Any: ...
    def void(self, *args: Any, **kw: Any) -> Any: ...
    def set_quantity(self, *args: Any, **kw: Any) -> Any: ...
    def set_price(self, *args: Any, **kw: Any) -> Any: ...
    def discount(self, *args: Any, **kw: Any) -> Any: ...
    def cancel(self, *args: Any, **kw: Any) -> Any: ...
    def pay(self, *args: Any, **kw: Any) -> Any: ...
    def remove_payment(self, index: int) -> Any: ...
    def card_answer(self, accepted: bool) -> Any: ...
    def set_eat_in(self, on: bool) -> Any: ...
    def answer(self, question: str | None, answer: str) -> None: ...
    def upload(self) -> None: ...
    def kitchen(self, *args: Any, **kw: Any) -> Any: ...
    def create_article(self, article: dict[str, Any]) -> Any: ...
    def table(self, action: str, table_id: str = "", **args: Any) -> Any: ...
    def refund(self, action: str, **args: Any) -> Any: ...
    def hold(self, action: str, **args: Any) -> Any: ...
    def cash(self, action: str, **args: Any) -> Any: ...
    def price_check(self, query: str) -> dict[str, Any]: ...
    def reprint_last(self) -> bool: ...
    def open_drawer(self, reason: str = "") -> bool: ...
    def device_status(self) -> dict[str, Any]: ...
    def x_report(self, now: Any = None) -> dict[str, Any]: ...
    def error(self, code: str, message: str, **extra: Any) -> dict[str, Any]: ...
