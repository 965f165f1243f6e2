"""One canonical form of the hash chain: the fast path gives the reference's bytes and hashes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.domain import canonical, record_hash, verify_record
from appliance.domain.chain import fast_canonical, is_plain, verify_record_fast
from appliance.server.samples import SaleMaker

# -- the fast canonical form (the server's ingestion): the reference's bytes exactly ----
_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_json_tree = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=24,
)


@settings(max_examples=400, deadline=None)
@given(_json_tree)
def test_fast_canonical_is_the_domains_canonical(obj):
    try:
        expected = canonical(obj)
    except UnicodeEncodeError:  # lone surrogates: orjson.loads never makes them
        return
    assert fast_canonical(obj, is_plain(obj)) == expected


def test_fast_canonical_on_control_characters_and_odd_numbers():
    text = "".join(chr(c) for c in range(0x20)) + '\u2028\u2029\x7f"\\/é€😀'
    for obj in (
        {"b": text, "a": [text, {"z": 1, "é": 2, "€": 3, "😀": 4, "Z": 5}]},
        {"n": [2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**63) - 1, 10**30]},
        {"f": [1.0, 1e16, 1e-7, 0.1, 2.5e300, -0.0]},
    ):
        assert fast_canonical(obj, is_plain(obj)) == canonical(obj)


def test_fast_hash_check_is_the_domains():
    for rec in SaleMaker(2).many(20):
        assert verify_record_fast(rec, is_plain(rec)) is True
        for tamper in ({"total": rec["total"] + 1}, {"prev_hash": "1" * 64}, {"extra": 1.5}):
            bad = {**rec, **tamper}
            assert verify_record_fast(bad, is_plain(bad)) is verify_record(bad)
            assert verify_record(bad) is False


_text = st.text(max_size=12)
_payment = st.fixed_dictionaries(
    {"method": st.sampled_from(["cash", "card", "cheque", "meal_voucher"]),
     "amount": st.integers(0, 10**6)}
)  # fmt: skip
_record = st.fixed_dictionaries(
    {
        "sale_id": st.uuids().map(str),
        "till_id": st.integers(1, 2**63 - 1),
        "seq": st.integers(1, 2**63 - 1),
        "prev_hash": st.text("0123456789abcdef", min_size=64, max_size=64),
        "closed_at": _text,
        "cashier_id": _text,
        "mode": st.sampled_from(["online", "autonomous"]),
        "total": st.integers(-(2**70), 2**70),
        "lines": st.lists(
            st.dictionaries(_text, st.integers() | _text | st.booleans()), max_size=4
        ),
        "payments": st.lists(_payment, max_size=3),
        "clock_behind": st.booleans(),
        "note": st.none() | _text | st.floats(allow_nan=False, allow_infinity=False),
    }
)


@settings(max_examples=500, deadline=None)
@given(_record)
def test_the_fast_path_and_the_reference_give_the_same_hash_on_many_records(rec):
    try:
        rec["hash"] = record_hash(rec)
    except UnicodeEncodeError:  # lone surrogates: orjson.loads never makes them
        return
    assert verify_record_fast(rec, is_plain(rec)) is True
    assert verify_record(rec) is True
    body = {k: v for k, v in rec.items() if k != "hash"}
    assert fast_canonical(body, is_plain(body)) == canonical(body)
    bad = {**rec, "seq": rec["seq"] - 1}
    assert verify_record_fast(bad, is_plain(bad)) is verify_record(bad) is False
