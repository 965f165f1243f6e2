"""The nightly snapshot clock: once a day at the set time, new versions announced."""

from __future__ import annotations

from datetime import datetime, time

from appliance.server.nightly import Nightly, next_run


def test_next_run():
    at = time(23, 30)
    assert next_run(datetime(2026, 11, 28, 10, 0), at) == datetime(2026, 11, 28, 23, 30)
    assert next_run(datetime(2026, 11, 28, 23, 30), at) == datetime(2026, 11, 29, 23, 30)
    assert next_run(datetime(2026, 11, 28, 23, 45), at) == datetime(2026, 11, 29, 23, 30)


def test_builds_once_a_day_and_announces_versions():
    now = [datetime(2026, 11, 28, 23, 0)]
    built: list[datetime] = []
    announced: list[int | None] = []
    version = [3]

    def build():
        built.append(now[0])
        version[0] += 1

    n = Nightly(time(23, 30), build, lambda: version[0], announced.append, clock=lambda: now[0])
    n.announced = 3
    n.step()
    assert built == [] and announced == []
    now[0] = datetime(2026, 11, 28, 23, 31)
    n.step()
    n.step()
    assert built == [datetime(2026, 11, 28, 23, 31)] and announced == [4]
    version[0] = 5  # built by `autonome snapshot build` meanwhile
    n.step()
    assert announced == [4, 5]
    now[0] = datetime(2026, 11, 29, 23, 30)
    n.step()
    assert len(built) == 2 and announced == [4, 5, 6]


def test_a_failing_build_does_not_stop_the_clock():
    now = [datetime(2026, 11, 28, 23, 31)]

    def build():
        raise OSError("disk full")

    n = Nightly(time(23, 30), build, lambda: None, lambda v: None, clock=lambda: now[0])
    n.due = datetime(2026, 11, 28, 23, 30)
    n.step()
    assert n.due == datetime(2026, 11, 29, 23, 30)
