"""What a running server holds: its store, data folder, advert, clock thread,
and who is calling (admin or which till)."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from appliance.domain.clock import Clock, utc_now

from .advert import Advert
from .clocks import TillClocks
from .committer import Committer
from .config import DataDir, ServerConfig
from .enrolment import TokenLookup, record_contact
from .errors import ApiError
from .gaps import cached_contiguous, contiguous_from
from .nightly import Nightly
from .printing import HoldingSpooler, Spooler
from .snapshot import build_snapshot, latest_snapshot
from .storage import Store

__all__ = [
    "Caller",
    "Shop",
    "admin",
    "any_caller",
    "bearer_token",
    "caller_or_none",
    "shop_of",
    "till",
]

log = logging.getLogger("autonome.server")

#: A till's health check writes its last contact at most this often (seconds),
#: unless the seq it reports has moved.
CONTACT_EVERY_S = 15.0


@dataclass(frozen=True)
class Caller:
    kind: str  # "admin" | "till"
    till_id: int | None = None
    name: str = ""


@dataclass
class Shop:
    config: ServerConfig
    data: DataDir
    store: Store
    server_id: str
    admin_token: str
    #: SHA-256 of the certificate the server serves (tls.crt), told to tills at enrolment.
    tls_fingerprint: str = ""
    spooler: Spooler = field(default_factory=HoldingSpooler)
    advert: Advert | None = None
    nightly: Nightly | None = None
    #: the one clock the server reads (tills' clock checks, their last contact)
    clock: Clock = utc_now
    _contacts: dict[int, tuple[int | None, float]] = field(default_factory=dict)
    _contacts_lock: threading.Lock = field(default_factory=threading.Lock)
    _held: dict[int, int] = field(default_factory=dict)  # till id -> contiguous seq
    committer: Committer = field(init=False)
    clocks: TillClocks = field(init=False)
    _tokens: TokenLookup = field(init=False)

    def __post_init__(self) -> None:
        self.committer = Committer(self.store)
        self.clocks = TillClocks(self.store, self.clock)
        self._tokens = TokenLookup(self.store)

    def close(self) -> None:
        """Commit the sales still waiting, let go of the database."""
        self.committer.stop()
        self._tokens.close()
        self.store.close()

    def build_snapshot(self) -> dict[str, Any]:
        meta = build_snapshot(self.store, self.data, self.server_id, self.config.keep_snapshots)
        self.announce(meta["version"])
        return meta

    def announce(self, version: int | None) -> None:
        if self.advert is not None:
            self.advert.update(version)
        if self.nightly is not None:
            self.nightly.announced = version

    def latest_version(self) -> int | None:
        meta = latest_snapshot(self.store)
        return None if meta is None else int(meta["version"])

    def contact(self, till_id: int, last_seq: int | None) -> None:
        """Record a till's health check, without a disk write every second."""
        now = time.monotonic()
        with self._contacts_lock:
            before = self._contacts.get(till_id)
            if before is not None and before[0] == last_seq and now - before[1] < CONTACT_EVERY_S:
                return
            self._contacts[till_id] = (last_seq, now)
        record_contact(self.store, till_id, last_seq, now=self.clock())

    def held_seq(self, till_id: int) -> int:
        """The highest seq n such that this server holds every sale 1..n of the till.

        Walked forward from the last value found (what is held is never removed),
        so a health check every second reads only the sales that came since."""
        with self._contacts_lock:
            known = self._held.get(till_id)
        with self.store.read() as conn:
            if known is None:
                known = cached_contiguous(conn, till_id) or 0
            n = contiguous_from(conn, till_id, known)
        with self._contacts_lock:
            n = max(n, self._held.get(till_id, 0))
            self._held[till_id] = n
        return n

    def till_caller(self, authorization: str | None) -> Caller:
        """The enrolled, unrevoked till of an `Authorization` header, or ApiError."""
        token = bearer_token(authorization)
        if token is None:
            raise _missing_token()
        caller = self.identify(token)
        if caller.kind != "till":
            raise _till_only()
        return caller

    def identify(self, token: str) -> Caller:
        if hmac.compare_digest(token.encode(), self.admin_token.encode()):
            return Caller("admin")
        auth = self._tokens(token)
        if auth is None:
            raise _unauthorised("unknown_token", "this token is not known to this server")
        if auth.revoked:
            raise _unauthorised("till_revoked", f"till {auth.till_id} was revoked; enrol it again")
        return Caller("till", auth.till_id, auth.name)


def _unauthorised(code: str, message: str) -> ApiError:
    err = ApiError(401, code, message)
    err.headers = {"WWW-Authenticate": "Bearer"}
    return err


def shop_of(request: Request) -> Shop:
    return request.app.state.shop


def _missing_token() -> ApiError:
    return _unauthorised("missing_token", "this endpoint needs `Authorization: Bearer <token>`")


def _till_only() -> ApiError:
    return ApiError(403, "till_only", "this endpoint is for tills (use a till token)")


def _bearer(request: Request) -> str | None:
    return bearer_token(request.headers.get("authorization"))


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (None if there is no header)."""
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorised("bad_authorization", "use `Authorization: Bearer <token>`")
    return token.strip()


async def caller_or_none(request: Request) -> Caller | None:
    """Dependency: the caller if a token is given (it must then be valid).

    The token lookup is one indexed read of SQLite in WAL mode (readers never
    wait for writers): done on the loop, it saves a thread hop per request.
    """
    token = _bearer(request)
    return None if token is None else shop_of(request).identify(token)


async def any_caller(request: Request) -> Caller:
    """Dependency: an enrolled till or the admin."""
    caller = await caller_or_none(request)
    if caller is None:
        raise _missing_token()
    return caller


async def till(request: Request) -> Caller:
    """Dependency: an enrolled, unrevoked till."""
    caller = await any_caller(request)
    if caller.kind != "till":
        raise _till_only()
    return caller


async def admin(request: Request) -> Caller:
    """Dependency: the admin token of admin.token."""
    caller = await any_caller(request)
    if caller.kind != "admin":
        raise ApiError(403, "admin_only", "this endpoint needs the admin token")
    return caller
