"""The store server's API fuzzed from its own OpenAPI schema (schemathesis).

A real server process on loopback; every operation of its schema is called
with generated requests, valid (positive) and invalid (negative) by the
schema, as the enrolled till, as the admin and with no token (or a made-up
one). Each answer is checked:

- never a 5xx, and the server process alive and healthy after each operation;
- its status, content type, headers and body as the schema documents them
  (`appliance/server/openapi.py`);
- a request the schema calls invalid is refused with a 4xx;
- without a token, an operation that needs one answers 401.

`AUTONOME_FUZZ_CASES` sets the number of cases in all (`make fuzz` runs
5,000 and more, `make test` fewer); see conftest.py. The last test prints
how many ran.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from appliance.server.openapi import OPERATIONS
from testbed.fuzzing import API, Target, fuzz_cases, fuzz_seed, requests_session

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

#: Operations whose items are judged one by one: an invalid item gets its own
#: result in a 200 (quarantined, rejected), the call itself is not refused.
JUDGED_ONE_BY_ONE = {("post", "/tills/{till_id}/outbox"), ("post", "/tills/{till_id}/events")}

#: X-Till-Last-Seq is read from a till only: anybody else's, valid or not, is ignored.
IGNORED_FROM = {("get", "/health"): {None, "admin"}}

#: Revoking tills last: a revoked fuzzing till would only meet 401s after it.
ORDER = sorted(OPERATIONS, key=lambda k: k == ("post", "/tills/{till_id}/revoke"))

#: Who calls each kind of operation: (identity, share of the operation's cases).
#: None is no token at all or a made-up one; the others are real tokens.
CALLERS: dict[str, list[tuple[str | None, float]]] = {
    "none": [(None, 1.0)],
    "optional": [("till", 0.4), ("admin", 0.2), (None, 0.4)],
    "till": [("till", 0.8), ("admin", 0.05), (None, 0.15)],
    "admin": [("admin", 0.8), ("till", 0.05), (None, 0.15)],
    "any": [("till", 0.5), ("admin", 0.35), (None, 0.15)],
}
MODES = ((GenerationMode.POSITIVE, 0.6), (GenerationMode.NEGATIVE, 0.4))


@pytest.fixture(scope="module")
def schema(target: Target):
    with target.client() as c:
        r = c.get("/openapi.json")
    assert r.status_code == 200, r.text
    schema = schemathesis.openapi.from_dict(r.json())
    # Tokens are ours to send (`_headers`); unknown query parameters are ignored, as
    # HTTP servers do, so requests that add some are no invalid requests.
    schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)
    return schema


@pytest.fixture(scope="module")
def session(target: Target):
    with requests_session(target.server) as s:
        yield s


@pytest.fixture(scope="module")
def varied(schema) -> set[tuple[str, str]]:
    """The operations that take parameters or a body: the cases are shared among
    them (one without either has a single request to make, per caller)."""
    paths = schema.raw_schema["paths"]
    return {
        (m, p)
        for (m, p) in OPERATIONS
        if paths[API + p][m].get("parameters") or paths[API + p][m].get("requestBody")
    }


def _plan(key: tuple[str, str], varied: set) -> list[tuple[str | None, GenerationMode, int]]:
    """(identity, mode, cases) of one operation: its share of the total."""
    per_operation = fuzz_cases() / len(varied) if key in varied else 0
    plan = []
    for identity, share in CALLERS[OPERATIONS[key].auth]:
        for mode, mode_share in MODES:
            plan.append((identity, mode, max(2, round(per_operation * share * mode_share))))
    return plan


#: What a caller without a token sends, in turn: nothing, a made-up token, another scheme.
NO_TOKEN = ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic Zm9vOmJhcg=="})


def _headers(target: Target, identity: str | None, n: int) -> dict[str, str]:
    if identity is not None:
        return {"Authorization": f"Bearer {target.tokens[identity]}"}
    return NO_TOKEN[n % len(NO_TOKEN)]


def _fuzz(
    target: Target,
    operation: Any,
    session: requests.Session,
    identity: str | None,
    mode: GenerationMode,
    cases: int,
    extra: Callable[[Any, Any, str | None], None],
    refuses_invalid: bool,
) -> int:
    done = 0
    negative = mode is GenerationMode.NEGATIVE and refuses_invalid
    checks = CHECKS + ([negative_data_rejection] if negative else [])
    label = f"{operation.label} {identity} {mode.value}"

    @seed(fuzz_seed() ^ zlib.crc32(label.encode()))
    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def one(case: Any) -> None:
        nonlocal done
        done += 1
        headers = _headers(target, identity, done)
        response = case.call(base_url=target.url, session=session, headers=headers, timeout=30)
        case.validate_response(
            response,
            checks=checks,
            headers=headers,
            transport_kwargs={"base_url": target.url, "session": session, "headers": headers},
        )
        extra(case, response, identity)

    one()
    return done


def _needs_a_token(key: tuple[str, str]) -> Callable[[Any, Any, str | None], None]:
    auth = OPERATIONS[key].auth

    def check(case: Any, response: Any, identity: str | None) -> None:
        """No token where one is needed, or a made-up one anywhere: 401."""
        if identity is not None or auth == "none":
            return
        sent = "authorization" in {k.lower() for k in response.request.headers}
        if sent or auth != "optional":
            assert response.status_code in (401, 413), (
                f"{case.operation.label} with no valid token answered {response.status_code}"
            )

    return check


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("key", ORDER, ids=[f"{m.upper()} {p}" for m, p in ORDER])
def test_operation(key, target: Target, schema, session, varied):
    method, path = key
    operation = schema[API + path][method.upper()]
    failures = []
    for identity, mode, cases in _plan(key, varied):
        try:
            done = _fuzz(
                target,
                operation,
                session,
                identity,
                mode,
                cases,
                _needs_a_token(key),
                refuses_invalid=key not in JUDGED_ONE_BY_ONE
                and identity not in IGNORED_FROM.get(key, ()),
            )
        except Unsatisfiable:  # nothing to make invalid: no parameter, no body
            done = 0
        except Exception as e:  # one report of every failure of this operation
            failures.append(f"--- as {identity or 'nobody'}, {mode.value}:\n{e}")
            done = cases
        target.counts[(f"{method.upper()} {path}", identity or "nobody", mode.value)] = done
        target.alive()
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


def test_totals(target: Target, varied, capsys):
    """How many cases ran; the server is still alive and healthy after them all."""
    target.alive()
    total = sum(target.counts.values())
    with capsys.disabled():
        for (operation, identity, mode), n in sorted(target.counts.items()):
            print(f"{n:6d}  {operation} as {identity}, {mode}")
        print(
            f"\nAPI fuzzing: {total} cases, {len(OPERATIONS)} operations, seed {fuzz_seed()}"
            f" ({time.strftime('%H:%M:%S')})"
        )
    if len(target.counts) == sum(len(_plan(k, varied)) for k in OPERATIONS):  # the whole run
        assert total >= fuzz_cases() * 0.9, f"only {total} cases were generated"
