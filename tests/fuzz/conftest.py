"""Fixtures of the fuzz tests: a real store server on loopback, an enrolled till
and the admin (testbed/fuzzing.py says how much is fuzzed)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from appliance.demo_printers import NO_PRINTERS
from appliance.processes import ServerProcess
from testbed.fuzzing import API, Target, tls_verify


@pytest.fixture(scope="session")
def target(tmp_path_factory) -> Iterator[Target]:
    data = tmp_path_factory.mktemp("fuzz") / "server"
    server = ServerProcess(data, mdns=False)
    server.init("--demo", *NO_PRINTERS, "--server-id", "fuzz")
    code = server.enrolment_code("fuzz till")
    # the delta feed answers a long-poll at once here: the fuzz makes requests, not waits
    server.start(env={"AUTONOME_LONG_POLL_MAX_S": "0.2"})
    try:
        verify = tls_verify(server)
        r = httpx.post(
            f"{server.url}{API}/enroll", json={"code": code, "name": "fuzz till"}, verify=verify
        )
        assert r.status_code == 200, r.text
        enrolled = r.json()
        tokens = {"till": enrolled["token"], "admin": server.admin_token()}
        t = Target(server, verify, tokens, enrolled["till_id"])
        with t.client("admin") as admin:
            assert admin.post("/snapshot/build").status_code == 201
        yield t
    finally:
        server.stop()
