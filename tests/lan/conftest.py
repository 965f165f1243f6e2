"""Fixtures of the LAN tests: a test LAN in network namespaces (netns.py), a store
server on its host `srv` and headless tills on till1..till3, all real processes.

Without root or iproute2 (or nftables, for the tests that need it) the tests
are skipped with the reason; with AUTONOME_REQUIRE_LAN=1 (CI, as root) they
fail instead, so a broken test bed is never a silent pass.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance.processes import ServerProcess, autonome
from testbed.lanrig import PORT, cannot, need
from testbed.netns import Lan, sweep_stale
from testbed.rig import Till, snapshot_barcodes

API = "/api/v1"


class LanServer(ServerProcess):
    """A server on a LAN host (`srv` unless said otherwise); its admin API is called
    from inside that host."""

    lan: Lan
    on: str = "srv"

    def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.admin_token()}"}
        tls = self.tls()

        def request() -> httpx.Response:
            return httpx.request(
                method, self.url + path, headers=headers, timeout=30, verify=tls, **kw
            )

        return self.lan.call(self.on, request)


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    """A demo store (about 150 articles, cashier c1/1234) with its snapshot 1."""
    need()
    data = tmp_path_factory.mktemp("lan-store") / "server"
    data.mkdir()
    autonome("server", "init", "--data", str(data), "--demo", timeout=300)
    autonome("snapshot", "build", "--data", str(data))
    return data


@pytest.fixture(scope="session")
def barcodes(template) -> list[str]:
    return snapshot_barcodes(template)


@pytest.fixture(scope="session")
def _swept() -> None:
    need()
    sweep_stale()


@pytest.fixture
def lan(_swept) -> Iterator[Lan]:
    """A bridge and the hosts srv, till1, till2, till3; torn down after the test."""
    made = Lan()
    try:
        made.up()
    except RuntimeError as e:
        cannot(f"cannot build the namespaces: {e}")
    yield made
    made.down()


@pytest.fixture
def server(lan, template, tmp_path) -> Iterator:
    """server(port=8470): a store server on `srv`, on a copy of the demo store
    (the same data folder each call, so a second call restarts it)."""
    data = tmp_path / "server"
    started: list[LanServer] = []

    def make(port: int = PORT) -> LanServer:
        if not data.exists():
            shutil.copytree(template, data)
        s = LanServer(data, port=port, host=lan.ip("srv"), prefix=lan.exec("srv"))
        s.lan = lan
        started.append(s.start())
        return s

    yield make
    for s in started:
        s.kill()


@pytest.fixture
def other_server(lan, tmp_path) -> Iterator:
    """other_server(host, *init_args): a new store server of its own (`autonome server
    init` with these arguments) to run on `host`; not started."""
    made: list[LanServer] = []

    def make(host: str, *init: str) -> LanServer:
        data = tmp_path / f"{host}-server{len(made) + 1}"
        autonome("server", "init", "--data", str(data), *init, timeout=300)
        s = LanServer(data, port=PORT, host=lan.ip(host), prefix=lan.exec(host))
        s.lan, s.on = lan, host
        made.append(s)
        return s

    yield make
    for s in made:
        s.kill()


@pytest.fixture
def new_till(lan, tmp_path) -> Iterator:
    """new_till(server, host, url=server.url): a till on `host` enrolled with
    `server` at `url`; url=None: it finds the server by mDNS."""
    made: list[Till] = []

    def make(server: LanServer, host: str, url: str | None = "") -> Till:
        r = server.api("POST", f"{API}/enrolment-codes", json={"name": host})
        assert r.status_code == 201, r.text
        till = Till(tmp_path / host, host, prefix=lan.exec(host), mdns_interface=lan.ip(host))
        till.enroll(r.json()["code"], server.url if url == "" else url)
        conf = json.loads((till.data / "till.json").read_text())
        till.till_id, till.token = int(conf["till_id"]), conf["token"]
        made.append(till)
        return till

    yield make
    for till in made:
        till.kill()
