"""Enrolling tills: one-time codes, then one token per till.

Codes and tokens are stored only as sha256 digests and never logged. A code
is single use and expires after 24 hours; a token is 32 random bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from appliance.domain.clock import utc_now

from .storage import Store, enrolment_codes, tills

__all__ = [
    "CODE_TTL",
    "EnrolmentRefused",
    "TillAuth",
    "TokenLookup",
    "authenticate",
    "create_code",
    "enrol",
    "list_tills",
    "normalise_code",
    "record_contact",
    "revoke",
]

CODE_TTL = timedelta(hours=24)
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L


class EnrolmentRefused(Exception):
    """A wrong, used or expired code. The message says which, never the code."""


@dataclass(frozen=True)
class TillAuth:
    till_id: int
    name: str
    revoked: bool


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def create_code(
    store: Store, name: str = "", *, ttl: timedelta = CODE_TTL, now: datetime | None = None
) -> str:
    """A new one-time enrolment code, shown once (e.g. `K7QM-2XRD`)."""
    now = now or utc_now()
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    with store.write() as conn:
        conn.execute(
            enrolment_codes.insert().values(
                code_hash=_digest(raw),
                name=name,
                created_at=now.isoformat(),
                expires_at=(now + ttl).isoformat(),
                used=False,
            )
        )
    return f"{raw[:4]}-{raw[4:]}"


def enrol(store: Store, code: str, name: str = "", *, now: datetime | None = None):
    """Spend a code: (till_id, token). EnrolmentRefused if the code is no good."""
    now = now or utc_now()
    code_hash = _digest(normalise_code(code))
    token = secrets.token_urlsafe(32)
    with store.write() as conn:
        row = conn.execute(
            select(enrolment_codes).where(enrolment_codes.c.code_hash == code_hash)
        ).first()
        if row is None:
            raise EnrolmentRefused("this enrolment code is not known")
        if row.used:
            raise EnrolmentRefused("this enrolment code was already used")
        if datetime.fromisoformat(row.expires_at) < now:
            raise EnrolmentRefused("this enrolment code has expired; ask for a new one")
        till_name = name.strip() or row.name
        till_id = conn.execute(
            tills.insert().values(
                name=till_name or "till",
                token_hash=_digest(token),
                revoked=False,
                enrolled_at=now.isoformat(),
                last_seq_reported=0,
                contiguous_seq=0,
            )
        ).inserted_primary_key[0]
        if not till_name:
            conn.execute(tills.update().where(tills.c.id == till_id).values(name=f"till {till_id}"))
        spent = conn.execute(
            enrolment_codes.update()
            .where(enrolment_codes.c.code_hash == code_hash, enrolment_codes.c.used.is_(False))
            .values(used=True, till_id=till_id)
        )
        if spent.rowcount != 1:  # somebody spent it between our read and now
            raise EnrolmentRefused("this enrolment code was already used")
    return int(till_id), token


def authenticate(store: Store, token: str) -> TillAuth | None:
    """The till holding this token (revoked or not), or None if nobody does."""
    if not token:
        return None
    digest = _digest(token)
    with store.read() as conn:
        row = conn.execute(
            select(tills.c.id, tills.c.name, tills.c.revoked, tills.c.token_hash).where(
                tills.c.token_hash == digest
            )
        ).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return TillAuth(int(row.id), row.name, bool(row.revoked))


class TokenLookup:
    """`authenticate` on one SQLite connection kept open, for the requests' hot path.

    Every call reads the tills table again (one indexed SELECT in autocommit, no
    transaction kept open), so a till revoked by any process, the `revoke-till`
    command included, gets its 401 from its next request on. On a database other
    than SQLite it is plain `authenticate`.
    """

    _SQL = "SELECT id, name, revoked, token_hash FROM tills WHERE token_hash = ?"

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._conn: Any = None

    def __call__(self, token: str) -> TillAuth | None:
        if not self.store.is_sqlite:
            return authenticate(self.store, token)
        if not token:
            return None
        digest = _digest(token)
        with self._lock:
            if self._conn is None:
                self._conn = self.store.engine.raw_connection()
            # fetchall: the statement runs to its end, no read transaction stays open.
            rows = self._conn.driver_connection.execute(self._SQL, (digest,)).fetchall()
        if not rows or not hmac.compare_digest(rows[0][3], digest):
            return None
        row = rows[0]
        return TillAuth(int(row[0]), row[1], bool(row[2]))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def revoke(store: Store, till_id: int) -> bool:
    """Revoke a till's token; False if there is no such till."""
    with store.write() as conn:
        done = conn.execute(tills.update().where(tills.c.id == till_id).values(revoked=True))
    return done.rowcount == 1


def record_contact(
    store: Store, till_id: int, last_seq: int | None, *, now: datetime | None = None
) -> None:
    """A till said hello (health check), maybe with the last seq it has closed."""
    now = now or utc_now()
    values: dict[str, object] = {"last_seen": now.isoformat()}
    with store.write() as conn:
        if last_seq is not None:
            current = conn.execute(
                select(tills.c.last_seq_reported).where(tills.c.id == till_id)
            ).scalar()
            if current is None or last_seq > current:
                values["last_seq_reported"] = last_seq
        conn.execute(tills.update().where(tills.c.id == till_id).values(**values))


def list_tills(store: Store) -> list[dict[str, object]]:
    with store.read() as conn:
        rows = conn.execute(select(tills).order_by(tills.c.id)).all()
    return [
        {
            "till_id": r.id,
            "name": r.name,
            "revoked": bool(r.revoked),
            "enrolled_at": r.enrolled_at,
            "last_seen": r.last_seen,
            "last_seq_reported": r.last_seq_reported,
            "contiguous_seq": r.contiguous_seq,
        }
        for r in rows
    ]
