"""Who may use the back office: the store's managers, by PIN or password.

- A manager logs in with the id and the PIN the tills know (the snapshot's
  cashiers of role `manager`, PBKDF2-SHA256 as `appliance.domain.hash_pin`
  makes it: the tills check the same hash offline, so it stays that), or,
  once one is set, with a back-office password. A password is hashed with
  scrypt (hashlib, N=2**14, r=8, p=1, 16 bytes of salt): memory-hard, in the
  standard library, no new dependency; once set, the PIN no longer opens
  the back office (a 4-digit PIN is a till's lock, not a web password).
- Five wrong attempts on one manager id lock it for `LOCK_S` seconds (an
  unknown id is counted the same, so the lock says nothing of who exists);
  twenty from one address lock that address.
- A session is a random id in a cookie (HttpOnly, Secure, SameSite=Strict,
  path /admin), kept in memory: it ends after `IDLE_S` without a request,
  `ABSOLUTE_S` after the login, at logout, or when the server restarts.
- Every write carries the session's CSRF token (a form field `csrf` or the
  `X-CSRF-Token` header), compared in constant time.
- Nothing else is a manager: an `Authorization` header (a till's token, the
  admin token) is never looked at here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from appliance.domain import verify_pin

from ..storage import Store, cashiers, manager_passwords, now_iso

__all__ = [
    "ABSOLUTE_S",
    "COOKIE",
    "IDLE_S",
    "LOCK_S",
    "Guard",
    "LoginRefused",
    "Session",
    "Sessions",
    "check_login",
    "hash_password",
    "set_password",
    "verify_password",
]

COOKIE = "autonome_admin"
IDLE_S = 30 * 60
ABSOLUTE_S = 10 * 3600
LOCK_AFTER = 5
LOCK_S = 5 * 60
ADDRESS_LOCK_AFTER = 20
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, maxmem=64 << 20, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
            maxmem=64 << 20,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


#: checked when the id is unknown, so that a wrong id takes as long as a wrong PIN
_DUMMY_PIN_HASH = "pbkdf2_sha256$60000$0000000000000000$" + "0" * 64


class LoginRefused(Exception):
    """`reason`: bad_login | locked (with `retry_s`)."""

    def __init__(self, reason: str, retry_s: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_s = retry_s


def check_login(store: Store, cashier_id: str, secret: str) -> dict[str, Any] | None:
    """The manager these credentials open, or None."""
    with store.read() as conn:
        row = conn.execute(
            select(cashiers.c.id, cashiers.c.name, cashiers.c.pin_hash, cashiers.c.active).where(
                cashiers.c.id == cashier_id, cashiers.c.role == "manager"
            )
        ).first()
        pw = conn.execute(
            select(manager_passwords.c.hash).where(manager_passwords.c.cashier_id == cashier_id)
        ).scalar()
    if row is None or not row.active:
        verify_pin("0000", _DUMMY_PIN_HASH)
        return None
    ok = verify_password(secret, pw) if pw else verify_pin(secret, row.pin_hash)
    return {"cashier_id": row.id, "name": row.name} if ok else None


def set_password(store: Store, cashier_id: str, password: str) -> None:
    hashed = hash_password(password)
    with store.write() as conn:
        conn.execute(manager_passwords.delete().where(manager_passwords.c.cashier_id == cashier_id))
        conn.execute(
            manager_passwords.insert().values(cashier_id=cashier_id, hash=hashed, set_at=now_iso())
        )


class Guard:
    """Counts wrong logins; locks an id after LOCK_AFTER, an address after more."""

    def __init__(self, lock_s: float = LOCK_S, clock=time.monotonic) -> None:
        self.lock_s = lock_s
        self.clock = clock
        self._fails: dict[str, deque[float]] = {}
        self._locked: dict[str, float] = {}
        self._lock = threading.Lock()

    def _keys(self, cashier_id: str, address: str) -> list[tuple[str, int]]:
        return [(f"id:{cashier_id.lower()}", LOCK_AFTER), (f"ip:{address}", ADDRESS_LOCK_AFTER)]

    def check(self, cashier_id: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key, _limit in self._keys(cashier_id, address):
                until = self._locked.get(key, 0.0)
                if until > now:
                    raise LoginRefused("locked", int(until - now) + 1)

    def failed(self, cashier_id: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key, limit in self._keys(cashier_id, address):
                fails = self._fails.setdefault(key, deque())
                fails.append(now)
                while fails and fails[0] < now - self.lock_s:
                    fails.popleft()
                if len(fails) >= limit:
                    self._locked[key] = now + self.lock_s
                    fails.clear()

    def succeeded(self, cashier_id: str) -> None:
        with self._lock:
            self._fails.pop(f"id:{cashier_id.lower()}", None)


@dataclass
class Session:
    sid: str
    cashier_id: str
    name: str
    csrf: str
    created: float
    seen: float
    flash: list[str] = field(default_factory=list)


class Sessions:
    """The sessions open now, in memory."""

    def __init__(self, idle_s: float = IDLE_S, absolute_s: float = ABSOLUTE_S) -> None:
        self.idle_s = idle_s
        self.absolute_s = absolute_s
        self._open: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, manager: dict[str, Any]) -> Session:
        now = time.monotonic()
        s = Session(
            secrets.token_urlsafe(32),
            manager["cashier_id"],
            manager["name"],
            secrets.token_urlsafe(32),
            now,
            now,
        )
        with self._lock:
            self._open = {k: v for k, v in self._open.items() if self._alive(v, now)}
            self._open[s.sid] = s
        return s

    def _alive(self, s: Session, now: float) -> bool:
        return now - s.seen < self.idle_s and now - s.created < self.absolute_s

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        now = time.monotonic()
        with self._lock:
            s = self._open.get(sid)
            if s is None:
                return None
            if not self._alive(s, now):
                del self._open[sid]
                return None
            s.seen = now
            return s

    def close(self, sid: str) -> None:
        with self._lock:
            self._open.pop(sid, None)


def csrf_ok(session: Session, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf.encode(), str(token).encode())
