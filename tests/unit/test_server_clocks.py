"""The tills' clocks on the server: a `clock_off` event when a till is a minute or more
off, and the business day of its sales corrected by that offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select

from appliance.server.clocks import CLOCK_OFF_S, TillClocks
from appliance.server.enrolment import create_code, enrol
from appliance.server.gaps import contiguous_from
from appliance.server.ingest import ingest_batch, local_day
from appliance.server.samples import SaleMaker
from appliance.server.storage import open_store, sales, till_events, tills

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "server.db")
    yield s
    s.close()


@pytest.fixture
def till_id(store):
    return enrol(store, create_code(store, "caisse"), "caisse")[0]


def _events(store, till_id):
    with store.read() as conn:
        rows = conn.execute(select(till_events.c.body).where(till_events.c.till_id == till_id))
        return [orjson.loads(b)["data"] for b in rows.scalars()]


def test_a_clock_off_is_noted_once_per_change(store, till_id):
    clocks = TillClocks(store)
    assert clocks.observe(till_id, NOW + timedelta(seconds=3), NOW) == 3
    assert _events(store, till_id) == []  # a few seconds: in step
    slow = NOW - timedelta(hours=5)
    assert clocks.observe(till_id, slow, NOW) == -18000
    assert clocks.observe(till_id, slow + timedelta(seconds=20), NOW) == -17980  # same story
    assert [e["offset_s"] for e in _events(store, till_id)] == [-18000]
    assert store.clock_offsets == {till_id: -18000}
    with store.read() as conn:
        kept = conn.execute(select(tills.c.clock_offset_s).where(tills.c.id == till_id)).scalar()
    assert kept == -18000
    assert TillClocks(store).store.clock_offsets[till_id] == -18000  # read back at start
    clocks.observe(till_id, NOW + timedelta(seconds=CLOCK_OFF_S - 1), NOW)  # set right
    assert [e["in_step"] for e in _events(store, till_id)] == [False, True]
    assert till_id not in store.clock_offsets


def test_the_business_day_takes_the_offset_off(store, till_id):
    # a till five hours slow closes a sale at 01:00 on its clock: 06:00 on the server's
    closed = datetime(2026, 11, 28, 1, 0).astimezone()
    assert local_day(closed.isoformat(), -5 * 3600) == "2026-11-28"
    assert local_day((closed - timedelta(hours=5)).isoformat(), -5 * 3600) == "2026-11-28"
    assert local_day((closed - timedelta(hours=5)).isoformat()) == "2026-11-27"
    store.clock_offsets[till_id] = -5 * 3600
    rec = SaleMaker(till_id).sale(closed_at=closed - timedelta(hours=5))
    outcomes, held = ingest_batch(store, till_id, [rec])
    assert [o.status for o in outcomes] == ["stored"] and held == 1
    with store.read() as conn:
        day = conn.execute(select(sales.c.day).where(sales.c.sale_id == rec["sale_id"])).scalar()
        assert day == "2026-11-28"
        assert contiguous_from(conn, till_id, 0) == 1


def test_the_clocks_read_the_one_clock_they_are_given(store, till_id):
    """No `now` given: the server's clock (appliance.domain.clock) is the one read,
    so a test or a replay sets it in one place."""
    clocks = TillClocks(store, clock=lambda: NOW)
    assert clocks.observe(till_id, NOW + timedelta(minutes=5)) == 300
    assert _events(store, till_id)[-1]["server_time"] == NOW.isoformat()
