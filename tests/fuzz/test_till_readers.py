"""The till's readers fuzzed with hypothesis: the outbox, the events log, the snapshot.

What a disk may hold after power cuts and bad sectors: valid lines written
and fsync'd one by one (acknowledged), bytes appended after them, torn last
lines, damaged bytes inside whole lines, lines split in two; snapshots of
arbitrary bytes, mutated, badly signed, truncated on disk. Whatever the
reader meets, it answers with a readable state or its own clear error,
never a crash; and it never drops an acknowledged sale whose line is whole
(a damaged whole line is kept aside for the server's quarantine,
docs/internals.md).

`AUTONOME_FUZZ_EXAMPLES` sets the examples of each test (testbed/fuzzing.py).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.domain import Line, Payment, Sale, close_sale
from appliance.till.eventlog import EventLog
from appliance.till.fsio import encode_line, split_line
from appliance.till.outbox import Outbox
from appliance.till.snapshot import Catalogue, SnapshotRejected, SnapshotStore
from testbed.fuzzing import reader_examples, seed_is_fixed
from testbed.snapshots import OTHER_KEY, make_snapshot, sha, signed

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)

FUZZ = settings(
    max_examples=reader_examples(),
    deadline=None,
    database=None,
    derandomize=seed_is_fixed(),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- the outbox ----------------------------------------------------------------------
def _sale(box: Outbox, price: int) -> dict[str, Any]:
    sale = Sale()
    sale.add_line(Line("A001", "Baguette", price, 1, 550, "bread"))
    sale.add_payment(Payment("cash", price))
    return close_sale(
        sale,
        sale_id=f"s-{box.last_seq + 1}",
        till_id=2,
        seq=box.last_seq + 1,
        prev_hash=box.last_hash,
        closed_at=T0 + timedelta(seconds=box.last_seq),
        cashier_id="c1",
        mode="autonomous",
        snapshot_version=1,
    )


def _line(record: dict[str, Any]) -> bytes:
    return encode_line(orjson.dumps(record))


#: What may happen to the file between two runs of the till.
damage = st.one_of(
    # bytes written after the last line: a torn line, or garbage with newlines in it
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=120)),
    # the first bytes of one more line: a write cut by the power (never acknowledged)
    st.tuples(st.just("torn"), st.floats(0, 0.99)),
    # a byte of a whole line changed (not its newline, into no newline)
    st.tuples(st.just("flip"), st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
    # a newline where there was none: a whole line cut in two
    st.tuples(st.just("split"), st.floats(0, 1, exclude_max=True)),
    # the till runs again and sells
    st.tuples(st.just("sell"), st.integers(1, 4)),
)


def _spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end without the newline) of each whole line."""
    spans, pos = [], 0
    while (nl := data.find(b"\n", pos)) >= 0:
        spans.append((pos, nl))
        pos = nl + 1
    return spans


def _damage(path: Path, step: tuple) -> None:
    data = path.read_bytes() if path.exists() else b""
    kind = step[0]
    if kind == "append":
        path.write_bytes(data + step[1])
    elif kind in ("flip", "split"):
        spans = [(a, b) for a, b in _spans(data) if b > a]
        if not spans:
            return
        start, end = spans[int(step[1] * len(spans))]
        at = start + int(step[1] * len(spans) % 1 * (end - start))
        if kind == "flip":
            new = step[2] if step[2] != 0x0A else 0x0B
            path.write_bytes(data[:at] + bytes([new]) + data[at + 1 :])
        elif at > start:
            path.write_bytes(data[:at] + b"\n" + data[at:])


def _check_open(directory: Path, acknowledged: list[dict[str, Any]]) -> Outbox:
    """Open, and check what the outbox offers against what was acknowledged."""
    log = directory / "outbox.log"
    before = log.read_bytes() if log.exists() else b""
    box = Outbox.open(directory)
    after = log.read_bytes()
    # only a torn tail (no newline) is ever cut
    assert before.startswith(after) and b"\n" not in before[len(after) :]
    whole = set(after.split(b"\n")[:-1])
    good = [box.load(e) for e in box.pending() if e.raw is None]
    by_id = {r["sale_id"]: r for r in good}
    for rec in acknowledged:
        if _line(rec)[:-1] in whole:  # its line is intact: it is there, as it was
            assert by_id.get(rec["sale_id"]) == rec
    # every whole line that does not check is kept aside, none dropped
    bad = [ln for ln in after.split(b"\n")[:-1] if _record(ln) is None]
    assert sorted(e.raw for e in box.kept_aside) == sorted(bad)
    # every seq up to the last one is held by a sale or a line kept aside: the server
    # is never told to wait for a seq that nothing will ever fill
    held = [e.seq for e in box.pending() if e.seq is not None]
    assert sorted(held) == list(range(1, box.last_seq + 1))
    return box


def _record(line: bytes) -> Any:
    """The sale of a whole line as the outbox reads it, None if it cannot."""
    payload = split_line(line)
    if payload is None:
        return None
    try:
        record = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    return record if isinstance(record, dict) and isinstance(record.get("seq"), int) else None


@FUZZ
@given(
    first=st.integers(0, 6),
    steps=st.lists(damage, min_size=1, max_size=6),
    price=st.integers(1, 10_000),
)
def test_the_outbox_opens_on_anything_and_keeps_every_acknowledged_sale(first, steps, price):
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        acknowledged: list[dict[str, Any]] = []
        box = Outbox.open(directory)
        for _ in range(first):
            acknowledged.append(_sale(box, price))
            box.append(acknowledged[-1])
        box.close()
        for step in steps:
            log = directory / "outbox.log"
            if step[0] == "sell":
                box = _check_open(directory, acknowledged)
                for _ in range(step[1]):
                    rec = _sale(box, price)
                    box.append(rec)
                    acknowledged.append(rec)
                box.close()
            elif step[0] == "torn":
                box = _check_open(directory, acknowledged)
                line = _line(_sale(box, price))
                box.close()
                with open(log, "ab") as f:
                    f.write(line[: int(step[1] * (len(line) - 1))])
            else:
                _damage(log, step)
        box = _check_open(directory, acknowledged)
        # and it still takes a sale, which is read back after it
        rec = _sale(box, price)
        box.append(rec)
        box.close()
        again = Outbox.open(directory)
        assert again.load(again.pending()[-1]) == rec
        again.close()


@FUZZ
@given(data=st.binary(max_size=2000), acked=st.binary(max_size=30))
def test_the_outbox_opens_on_arbitrary_files(data, acked):
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "outbox.log").write_bytes(data)
        (directory / "outbox.acked").write_bytes(acked)
        box = Outbox.open(directory)
        entries = box.pending()
        # every entry is a sale that reads, or a line kept aside with its bytes
        for e in entries:
            assert e.raw is not None or box.load(e)["seq"] == e.seq
        seqs = [e.seq for e in entries if e.seq is not None]
        assert seqs == sorted(set(seqs)) and all(s <= box.last_seq for s in seqs)
        rec = _sale(box, 100)
        assert rec["seq"] == box.last_seq + 1
        box.append(rec)
        box.close()
        # the sale taken after opening the damaged files is read back whole
        again = Outbox.open(directory)
        assert again.last_seq == rec["seq"] and again.load(again.pending()[-1]) == rec
        again.close()


# -- the events log ------------------------------------------------------------------
@FUZZ
@given(
    first=st.integers(0, 5),
    junk=st.binary(max_size=300),
    sent=st.binary(max_size=30),
    more=st.integers(0, 3),
)
def test_the_events_log_opens_on_anything_and_keeps_its_whole_events(first, junk, sent, more):
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        ev = EventLog.open(directory, 2)
        written = [ev.record("boot", n=i) for i in range(first)]
        ev.close()
        with open(directory / "events.log", "ab") as f:
            f.write(junk)
        (directory / "events.sent").write_bytes(sent)
        ev = EventLog.open(directory, 2)
        everything = ev.all()
        assert everything[: len(written)] == written
        ev.unsent()
        written += [ev.record("mode_changed", n=i) for i in range(more)]
        ev.close()
        ev = EventLog.open(directory, 2)
        ids = [e.get("event_id") for e in ev.all() if isinstance(e, dict)]
        assert all(w["event_id"] in ids for w in written)
        ev.close()


# -- the snapshot --------------------------------------------------------------------
SNAPSHOT = make_snapshot(1)
NEWER = make_snapshot(2)


def _store_with_one(directory: Path) -> SnapshotStore:
    store = SnapshotStore(directory)
    store.install(SNAPSHOT, sha(SNAPSHOT), 1, "srv-1", **signed(SNAPSHOT))
    return store


def _install(store: SnapshotStore, data: bytes, **kw: Any) -> Catalogue | None:
    """Install; None when refused, and then the installed snapshot is the one before."""
    try:
        return store.install(data, **kw)
    except SnapshotRejected as e:
        assert e.reason and e.message
        cat = store.load()
        assert cat is not None and cat.version == 1
        assert store.current.read_bytes() == SNAPSHOT
        return None


@st.composite
def mutated(draw: st.DrawFn, base: bytes = NEWER) -> bytes:
    """The snapshot's bytes changed here and there, or its JSON reshaped."""
    how = draw(st.sampled_from(["bytes", "cut", "json"]))
    if how == "bytes":
        data = bytearray(base)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if how == "cut":
        return base[: draw(st.integers(0, len(base) - 1))]
    doc = orjson.loads(base)
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=6,
    )
    for _ in range(draw(st.integers(1, 4))):
        table = draw(st.sampled_from([*doc, "meta", "articles"]))
        target = doc.get(table)
        if isinstance(target, dict) and target and draw(st.booleans()):
            row = draw(st.sampled_from(sorted(target)))
            if isinstance(target[row], dict) and target[row] and draw(st.booleans()):
                field = draw(st.sampled_from(sorted(target[row])))
                target[row][field] = draw(json_values)
            else:
                target[row] = draw(json_values)
        elif draw(st.booleans()):
            doc[table] = draw(json_values)
        else:
            doc.pop(table, None)
    return orjson.dumps(doc)


@FUZZ
@given(data=st.binary(max_size=3000) | mutated())
def test_a_snapshot_of_any_bytes_is_read_or_refused_clearly(data):
    try:
        cat = Catalogue.from_bytes(data)
    except SnapshotRejected as e:
        assert e.reason and e.message
    else:
        assert isinstance(cat.version, int)
        for code in list(cat.barcodes)[:5]:
            cat.by_barcode(code)


@FUZZ
@given(
    data=mutated(),
    how=st.sampled_from(["announced", "rehashed", "other_key", "signed"]),
)
def test_a_bad_snapshot_is_refused_and_the_installed_one_kept(data, how):
    with tempfile.TemporaryDirectory() as tmp:
        store = _store_with_one(Path(tmp))
        if how == "announced":  # damaged on the way: the announced hash and signature
            kw = {"expected_sha256": sha(NEWER), **signed(NEWER)}
        elif how == "rehashed":  # its hash made again, the server's signature of the original
            kw = {"expected_sha256": sha(data), **signed(NEWER)}
        elif how == "other_key":  # signed by another server
            kw = {"expected_sha256": sha(data), **signed(data, OTHER_KEY)}
        else:  # signed by our server, whatever it is (a server's bug)
            kw = {"expected_sha256": sha(data), **signed(data)}
        cat = _install(store, data, expected_version=2, expected_server_id="srv-1", **kw)
        if data != NEWER and how != "signed":
            assert cat is None
        if cat is not None:
            assert cat.version == 2 and store.load() is not None
            assert store.previous.read_bytes() == SNAPSHOT


@FUZZ
@given(cut=st.integers(0, len(NEWER) - 1), garbage=st.binary(max_size=64))
def test_a_snapshot_damaged_on_disk_falls_back_to_the_previous(cut, garbage):
    with tempfile.TemporaryDirectory() as tmp:
        store = _store_with_one(Path(tmp))
        store.install(NEWER, sha(NEWER), 2, "srv-1", **signed(NEWER))
        store.current.write_bytes(NEWER[:cut] + garbage)
        cat = store.load()  # the damaged one if it still reads, else the previous
        assert cat is not None and cat.version in (1, 2)
        store.previous.write_bytes(SNAPSHOT[: cut % len(SNAPSHOT)])
        fallback = store.load()
        assert fallback is None or fallback.version in (1, 2)
        # a good snapshot still installs over the damage
        assert store.install(NEWER, sha(NEWER), 2, "srv-1", **signed(NEWER)).version == 2
