"""Fixtures of the fault tests: a demo store built once, servers, cables and tills.

`store` is one server shared by the tests that do not kill it (each test has
its own tills, so its own journal); the tests that crash a server get their
own from `new_server`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.demo_printers import NO_PRINTERS
from appliance.processes import ServerProcess, autonome
from testbed.rig import Cable, Till, enrol, snapshot_barcodes


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    """A demo store (about 150 articles, cashier c1/1234) with its snapshot 1."""
    data = tmp_path_factory.mktemp("fault-store") / "server"
    data.mkdir()
    autonome("server", "init", "--data", str(data), "--demo", *NO_PRINTERS, timeout=300)
    autonome("snapshot", "build", "--data", str(data))
    return data


@pytest.fixture(scope="session")
def barcodes(template) -> list[str]:
    return snapshot_barcodes(template)


@pytest.fixture(scope="session")
def store(template, tmp_path_factory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("shared-store") / "server"
    shutil.copytree(template, data)
    server = ServerProcess(data, mdns=False).start()
    yield server
    server.stop()


@pytest.fixture
def new_server(template, tmp_path) -> Iterator:
    """new_server(env=None): a server of its own, on a copy of the demo store."""
    started: list[ServerProcess] = []

    def make(env: dict[str, str] | None = None) -> ServerProcess:
        data = tmp_path / f"server{len(started) + 1}"
        shutil.copytree(template, data)
        server = ServerProcess(data, mdns=False).start(env=env)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def cable() -> Iterator:
    """cable(server): a cable from a till to that server, plugged in."""
    made: list[Cable] = []

    def make(server: ServerProcess) -> Cable:
        made.append(Cable(server))
        return made[-1]

    yield make
    for c in made:
        c.close()


@pytest.fixture
def new_till(tmp_path) -> Iterator:
    """new_till(server, url=None): a till enrolled with `server`, reaching it at `url`."""
    made: list[Till] = []

    def make(server: ServerProcess, url: str | None = None) -> Till:
        name = f"till {len(made) + 1}"
        made.append(enrol(server, tmp_path / f"till{len(made) + 1}", name, url))
        return made[-1]

    yield make
    for till in made:
        till.kill()
