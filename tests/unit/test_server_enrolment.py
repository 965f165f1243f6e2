"""Enrolment codes are single use and expire; tokens are stored hashed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from appliance.server.enrolment import (
    EnrolmentRefused,
    authenticate,
    create_code,
    enrol,
    list_tills,
    revoke,
)
from appliance.server.storage import open_store


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "server.db")
    yield s
    s.close()


def test_a_code_enrols_one_till_once(store):
    code = create_code(store, "caisse 1")
    till_id, token = enrol(store, code.lower().replace("-", " "), "")
    assert till_id == 1 and len(token) >= 40
    auth = authenticate(store, token)
    assert auth is not None and (auth.till_id, auth.name, auth.revoked) == (1, "caisse 1", False)
    with pytest.raises(EnrolmentRefused, match="already used"):
        enrol(store, code, "again")
    second, token2 = enrol(store, create_code(store), "caisse 2")
    assert second == 2 and token2 != token


def test_wrong_and_expired_codes_are_refused(store):
    with pytest.raises(EnrolmentRefused, match="not known"):
        enrol(store, "AAAA-BBBB", "x")
    old = datetime.now(UTC) - timedelta(hours=25)
    code = create_code(store, now=old)
    with pytest.raises(EnrolmentRefused, match="expired"):
        enrol(store, code, "x")
    fresh = create_code(store, now=datetime.now(UTC) - timedelta(hours=23))
    assert enrol(store, fresh, "y")[0] == 1


def test_unknown_tokens_and_revoked_tills(store):
    till_id, token = enrol(store, create_code(store), "caisse")
    assert authenticate(store, "nope") is None
    assert authenticate(store, "") is None
    assert revoke(store, till_id) is True
    assert authenticate(store, token).revoked is True
    assert revoke(store, 99) is False
    assert list_tills(store)[0]["revoked"] is True


def test_codes_and_tokens_are_never_stored_in_clear(store, tmp_path):
    code = create_code(store)
    _, token = enrol(store, code, "caisse")
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("server.db*"))
    assert token.encode() not in raw
    assert code.replace("-", "").encode() not in raw
