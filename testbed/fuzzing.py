"""What the fuzz tests (tests/fuzz) share: the server under fuzzing and how much to fuzz.

How much comes from the environment, so `make test` and `make fuzz` run the
same tests:

- `AUTONOME_FUZZ_CASES`: the API cases to generate in all (default 5,600: some 5,300 run, as
  operations without parameters have few requests to make);
- `AUTONOME_FUZZ_SEED`: the seed of the generation (default a fixed one, so a
  failure in `make test` comes back at the next run); `random` draws one;
- `AUTONOME_FUZZ_EXAMPLES`: the examples of each hypothesis test of the till's
  readers (default 200; derandomized unless the seed is `random`).
"""

from __future__ import annotations

import functools
import os
import random
import ssl
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests
from requests.adapters import HTTPAdapter

from appliance.processes import ServerProcess

__all__ = [
    "API",
    "Target",
    "fuzz_cases",
    "fuzz_seed",
    "reader_examples",
    "requests_session",
    "seed_is_fixed",
    "tls_verify",
]

API = "/api/v1"


def fuzz_cases() -> int:
    return int(os.environ.get("AUTONOME_FUZZ_CASES", "5600"))


@functools.cache
def fuzz_seed() -> int:
    raw = os.environ.get("AUTONOME_FUZZ_SEED", "20261128")
    return random.SystemRandom().randrange(2**32) if raw == "random" else int(raw)


def seed_is_fixed() -> bool:
    """False with AUTONOME_FUZZ_SEED=random (`make fuzz`): each run explores anew."""
    return os.environ.get("AUTONOME_FUZZ_SEED", "") != "random"


def reader_examples() -> int:
    return int(os.environ.get("AUTONOME_FUZZ_EXAMPLES", "200"))


def tls_verify(server: ServerProcess) -> ssl.SSLContext | bool:
    """How a client checks the server: over HTTPS, against exactly the server's own
    self-signed certificate (tls.crt in its data folder, as a till pins it); over
    plain http there is nothing to check. The one place that knows how the
    server's transport is set up (`requests_session` takes it from here)."""
    if not server.url.startswith("https://"):
        return True
    return server.tls()


class _Pinned(HTTPAdapter):
    """requests over an SSL context of our own: the server's certificate names no
    host (tills reach it at any address), so no host name is matched."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self.context
        kwargs["assert_hostname"] = False
        super().init_poolmanager(*args, **kwargs)


def requests_session(server: ServerProcess) -> requests.Session:
    """A requests session (schemathesis sends with requests) that checks the server
    as `tls_verify` says."""
    session = requests.Session()
    verify = tls_verify(server)
    if isinstance(verify, ssl.SSLContext):
        session.mount("https://", _Pinned(verify))
    return session


@dataclass
class Target:
    """The server under fuzzing and who may call it."""

    server: ServerProcess
    verify: ssl.SSLContext | bool
    tokens: dict[str, str]  # identity ("till", "admin") -> bearer token
    till_id: int
    #: what the API fuzzing ran: (operation, identity, mode) -> cases
    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, identity: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[identity]}"} if identity else {}
        return httpx.Client(
            base_url=self.url + API, headers=headers, verify=self.verify, timeout=30
        )

    def enrol(self, name: str) -> str:
        """Enrol one more till (the fuzzing may revoke its own); its token."""
        with self.client("admin") as admin:
            code = admin.post("/enrolment-codes", json={"name": name}).json()["code"]
        with self.client() as c:
            r = c.post("/enroll", json={"code": code, "name": name})
        assert r.status_code == 200, r.text
        return r.json()["token"]

    def alive(self) -> None:
        """The server process still runs and answers its health check."""
        proc = self.server.proc
        assert proc is not None and proc.poll() is None, (
            f"the server died (exit {proc and proc.returncode}); see {self.server.log}"
        )
        with self.client() as c:
            r = c.get("/health")
        assert r.status_code == 200 and r.json()["status"] == "ok", r.text
