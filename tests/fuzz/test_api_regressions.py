"""What the API fuzzing found, each kept as a plain test against the fuzzed server.

Integers beyond what SQLite holds (2**63-1) reached the database and came back
as 500s (OverflowError); optional JSON bodies that were not objects, or only
white space, were taken as no body at all.
"""

from __future__ import annotations

import pytest

from testbed.fuzzing import Target


@pytest.fixture(scope="module")
def target(target: Target) -> Target:
    """The fuzzed server, with a till of these tests' own (the fuzzing revokes tills)."""
    tokens = {**target.tokens, "till": target.enrol("regressions")}
    return Target(target.server, target.verify, tokens, target.till_id)


TOO_BIG = str(2**63)
TOP = str(2**63 - 1)


@pytest.mark.parametrize("number", [TOO_BIG, "-32806821203052775991144352932257857536", "0"])
def test_revoking_a_till_number_no_till_can_have_is_422(target: Target, number):
    with target.client("admin") as admin:
        r = admin.post(f"/tills/{number}/revoke")
    assert (r.status_code, r.json()["error"]) == (422, "invalid")


def test_revoking_an_unknown_till_is_still_404(target: Target):
    with target.client("admin") as admin:
        r = admin.post(f"/tills/{TOP}/revoke")
    assert (r.status_code, r.json()["error"]) == (404, "unknown_till")


@pytest.mark.parametrize("identity", ["till", "admin"])
def test_a_snapshot_version_beyond_any_is_422(target: Target, identity):
    with target.client(identity) as c:
        assert c.get(f"/snapshot/{TOO_BIG}").status_code == 422
        assert c.get(f"/snapshot/{TOP}").status_code == 404


@pytest.mark.parametrize("param", ["till_id", "after_seq"])
def test_journal_numbers_beyond_any_are_422(target: Target, param):
    with target.client("admin") as admin:
        assert admin.get("/journal", params={param: TOO_BIG}).status_code == 422
        assert admin.get("/journal", params={param: TOP}).status_code == 200


@pytest.mark.parametrize("value", [TOO_BIG, "99999999999999999999999", "-5", "seven"])
def test_a_last_seq_no_till_can_have_is_400(target: Target, value):
    with target.client("till") as till:
        r = till.get("/health", headers={"X-Till-Last-Seq": value})
    assert (r.status_code, r.json()["error"]) == (400, "bad_header")


def test_the_largest_last_seq_is_taken(target: Target):
    with target.client("till") as till:
        assert till.get("/health", headers={"X-Till-Last-Seq": TOP}).status_code == 200


@pytest.mark.parametrize("body", [b"null", b"60000", b'[{"day": "2026-01-01"}]', b'"x"'])
@pytest.mark.parametrize("path", ["/reports/z", "/enrolment-codes"])
def test_an_optional_body_that_is_no_object_is_422(target: Target, path, body):
    with target.client("admin") as admin:
        r = admin.post(path, content=body, headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid")


@pytest.mark.parametrize("body", [b"\x0c", b" \t\r\n"])
@pytest.mark.parametrize("path", ["/reports/z", "/enrolment-codes"])
def test_a_body_of_white_space_is_no_json_and_no_missing_body(target: Target, path, body):
    with target.client("admin") as admin:
        r = admin.post(path, content=body, headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (400, "malformed_json")


def test_no_body_at_all_still_means_the_defaults(target: Target):
    with target.client("admin") as admin:
        r = admin.post("/enrolment-codes")
    assert r.status_code == 201 and r.json()["name"] == ""
