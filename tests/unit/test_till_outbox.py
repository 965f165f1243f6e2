"""The till's outbox: durable appends, torn tails, corruption kept aside, the acked cursor."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from appliance.domain import GENESIS, Line, Payment, Sale, close_sale, verify_chain
from appliance.till.eventlog import EventLog
from appliance.till.fsio import encode_line
from appliance.till.outbox import Outbox, OutboxBusy

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def sale_record(box: Outbox, *, mode: str = "online", price: int = 110) -> dict:
    sale = Sale()
    sale.add_line(Line("A001", "Baguette", price, 2, 550, "bread"))
    sale.add_payment(Payment("cash", 1000))
    return close_sale(
        sale,
        sale_id=f"sale-{box.last_seq + 1}",
        till_id=2,
        seq=box.last_seq + 1,
        prev_hash=box.last_hash,
        closed_at=T0 + timedelta(seconds=box.last_seq),
        cashier_id="c1",
        mode=mode,
        snapshot_version=1,
    )


def fill(directory: Path, n: int, mode: str = "online") -> list[dict]:
    box = Outbox.open(directory)
    records = []
    for _ in range(n):
        rec = sale_record(box, mode=mode)
        box.append(rec)
        records.append(rec)
    box.close()
    return records


def test_append_then_reopen_keeps_everything_and_the_chain(tmp_path):
    records = fill(tmp_path, 5)
    box = Outbox.open(tmp_path)
    assert box.last_seq == 5
    assert box.last_hash == records[-1]["hash"]
    assert [box.load(e) for e in box.pending()] == records
    assert verify_chain(records) == []
    assert box.torn == b"" and box.kept_aside == []
    lines = (tmp_path / "outbox.log").read_bytes().splitlines(keepends=True)
    assert lines[0] == encode_line(orjson.dumps(records[0]))
    box.close()


def test_append_refuses_a_seq_that_does_not_follow(tmp_path):
    box = Outbox.open(tmp_path)
    rec = sale_record(box)
    rec["seq"] = 3
    with pytest.raises(ValueError):
        box.append(rec)
    assert box.last_seq == 0
    box.close()


@pytest.mark.parametrize("tail", [b'4f3a9c0d12ab77e0 {"kind":"sale","seq":4', b"\0" * 40])
def test_torn_last_line_is_cut_away_and_reported(tmp_path, tail):
    records = fill(tmp_path, 3)
    path = tmp_path / "outbox.log"
    good_size = path.stat().st_size
    with open(path, "ab") as f:
        f.write(tail)
    box = Outbox.open(tmp_path)
    assert box.torn == tail
    assert path.stat().st_size == good_size
    assert box.last_seq == 3 and box.last_hash == records[-1]["hash"]
    # the next sale follows the last good one and the file is clean again
    box.append(sale_record(box))
    box.close()
    again = Outbox.open(tmp_path)
    assert again.last_seq == 4 and again.torn == b"" and again.kept_aside == []
    again.close()


def test_damaged_whole_last_line_is_kept_aside_not_dropped(tmp_path):
    # Its newline was written, so its write completed and it may have been
    # acknowledged: damage found later must not lose it, even at the end.
    fill(tmp_path, 3)
    path = tmp_path / "outbox.log"
    box = Outbox.open(tmp_path)
    last = sale_record(box)  # sale 4, written below with a flipped byte
    box.close()
    line = encode_line(orjson.dumps(last)).replace(b'"sale"', b'"salE"')
    with open(path, "ab") as f:
        f.write(line)
    box = Outbox.open(tmp_path)
    assert box.torn == b""
    assert [e.seq for e in box.kept_aside] == [4]
    assert box.last_seq == 4 and box.last_hash == last["hash"]
    assert box.load(box.kept_aside[0]) == {"raw": line[:-1].decode(), "seq": 4}
    box.close()


def test_bad_line_in_the_middle_is_kept_aside_not_dropped(tmp_path):
    records = fill(tmp_path, 5)
    path = tmp_path / "outbox.log"
    lines = path.read_bytes().splitlines(keepends=True)
    damaged = lines[2].replace(b'"Baguette"', b'"Bagu\xc3\xa9tte"')  # bit rot in sale 3
    path.write_bytes(b"".join([*lines[:2], damaged, *lines[3:]]))
    box = Outbox.open(tmp_path)
    assert box.torn == b""
    assert len(box.kept_aside) == 1
    raw = box.kept_aside[0]
    assert raw.seq == 3 and raw.after_seq == 2
    assert box.last_seq == 5
    pending = box.pending()
    assert [e.seq for e in pending] == [1, 2, 3, 4, 5]
    item = box.load(pending[2])
    assert set(item) == {"raw", "seq"} and "Bagu" in item["raw"] and item["seq"] == 3
    assert box.load(pending[3]) == records[3]
    box.mark_acked(2)
    assert pending[2] in box.pending()  # still to send to the quarantine
    box.mark_acked(3)
    assert [e.seq for e in box.pending()] == [4, 5]
    box.close()


def test_acked_cursor_is_persisted_and_bounds_pending(tmp_path):
    fill(tmp_path, 10)
    box = Outbox.open(tmp_path)
    assert box.pending_count == 10
    box.mark_acked(7)
    assert (tmp_path / "outbox.acked").read_text().strip() == "7"
    assert not list(tmp_path.glob(".*.tmp"))
    box.close()
    box = Outbox.open(tmp_path)
    assert box.acked == 7
    assert [e.seq for e in box.pending()] == [8, 9, 10]
    assert [e.seq for e in box.pending(limit=2)] == [8, 9]
    box.close()


def test_seq_is_never_reused_after_a_restart(tmp_path):
    fill(tmp_path, 4)
    box = Outbox.open(tmp_path)
    box.mark_acked(4)
    rec = sale_record(box)
    box.append(rec)
    box.close()
    # a torn write of sale 6 was never acknowledged; sale 5 was
    with open(tmp_path / "outbox.log", "ab") as f:
        f.write(b'deadbeefdeadbeef {"seq":6,')
    box = Outbox.open(tmp_path)
    assert box.last_seq == 5 and box.last_hash == rec["hash"]
    nxt = sale_record(box)
    assert nxt["seq"] == 6 and nxt["prev_hash"] == rec["hash"]
    box.close()


def test_seq_survives_even_if_the_log_lost_its_tail(tmp_path):
    fill(tmp_path, 3)
    box = Outbox.open(tmp_path)
    box.mark_acked(3)
    box.close()
    (tmp_path / "outbox.log").write_bytes(b"")  # the server holds 1..3
    box = Outbox.open(tmp_path)
    assert box.last_seq == 3  # never hand out 1..3 again
    box.close()


def test_an_unreadable_last_good_line_before_a_torn_one_keeps_its_seq(tmp_path):
    fill(tmp_path, 3)
    path = tmp_path / "outbox.log"
    lines = path.read_bytes().splitlines(keepends=True)
    damaged = b"0000000000000000" + lines[2][16:]  # sale 3 acknowledged, then damaged
    path.write_bytes(b"".join([*lines[:2], damaged, b'abc {"seq"']))
    box = Outbox.open(tmp_path)
    assert box.torn == b'abc {"seq"'
    assert [e.seq for e in box.kept_aside] == [3]
    assert box.last_seq == 3
    assert box.last_hash == orjson.loads(lines[2][17:])["hash"]  # read from the damaged line
    box.close()


def test_a_second_process_cannot_open_the_same_outbox(tmp_path):
    box = Outbox.open(tmp_path)
    with pytest.raises(OutboxBusy):
        Outbox.open(tmp_path)
    box.close()
    Outbox.open(tmp_path).close()


def test_append_is_one_line_each_with_no_rescan(tmp_path):
    box = Outbox.open(tmp_path)
    for _ in range(50):
        box.append(sale_record(box))
    assert len(box) == 50 and box.pending_count == 50
    assert box.autonomous_pending == 0
    box.append(sale_record(box, mode="autonomous"))
    assert box.autonomous_pending == 1
    box.close()


WRITE_FAILS = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    from tests.unit.test_till_outbox import sale_record
    from appliance.till.outbox import Outbox, OutboxWriteError
    box = Outbox.open(Path(sys.argv[1]))
    box.append(sale_record(box))
    size = (Path(sys.argv[1]) / "outbox.log").stat().st_size
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 100, size + 100))
    try:
        box.append(sale_record(box))
    except OutboxWriteError as e:
        print("refused", box.last_seq, e.errno)
    else:
        print("written")
    """
)


def test_a_write_error_raises_before_anything_is_acknowledged(tmp_path):
    """A real short write (file size limit): clear error, no trace left, seq not consumed."""
    done = subprocess.run(
        [sys.executable, "-c", WRITE_FAILS, str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["refused", "1"]
    box = Outbox.open(tmp_path)
    assert box.last_seq == 1 and box.torn == b"" and box.kept_aside == []
    box.close()


def test_fresh_outbox_starts_at_genesis(tmp_path):
    box = Outbox.open(tmp_path)
    assert (box.last_seq, box.last_hash, box.acked) == (0, GENESIS, 0)
    assert (tmp_path / "outbox.log").exists()
    box.close()


def test_events_log_keeps_events_and_an_upload_cursor(tmp_path):
    log = EventLog.open(tmp_path, till_id=2)
    first = log.record("boot", last_seq=0)
    log.record("mode_changed", **{"from": "BOOT", "to": "DISCOVERING"})
    events, end = log.unsent()
    assert [e["type"] for e in events] == ["boot", "mode_changed"]
    assert events[0] == first and first["till_id"] == 2 and first["kind"] == "event"
    log.mark_sent(end)
    log.record("clock_backwards", seq=3)
    log.close()
    log = EventLog.open(tmp_path, till_id=2)
    events, _ = log.unsent()
    assert [e["type"] for e in events] == ["clock_backwards"]
    assert len(log.all()) == 3
    log.close()


def test_the_cursor_goes_back_when_the_server_holds_less(tmp_path):
    """A server restored from a backup: the sales above what it holds are pending again."""
    fill(tmp_path, 6)
    box = Outbox.open(tmp_path)
    box.mark_acked(6)
    assert box.pending_count == 0
    assert box.rewind_acked(6) is None and box.rewind_acked(9) is None  # not below: nothing
    assert box.rewind_acked(2) == 6
    assert [e.seq for e in box.pending()] == [3, 4, 5, 6]
    box.close()
    box = Outbox.open(tmp_path)
    assert box.acked == 2  # persisted
    box.close()


def test_a_cursor_that_cannot_be_written_moves_in_memory(tmp_path, monkeypatch):
    """Disk full: outbox.acked cannot be replaced; the cursor moves all the same (sending
    a held sale again is harmless) and is written at the next move."""
    import appliance.till.outbox as outbox_module

    fill(tmp_path, 4)
    box = Outbox.open(tmp_path)
    real = outbox_module.atomic_write

    def full(path, data, mode=0o644):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outbox_module, "atomic_write", full)
    box.mark_acked(3)
    assert (box.acked, box.acked_unsaved) == (3, True)
    assert [e.seq for e in box.pending()] == [4]
    monkeypatch.setattr(outbox_module, "atomic_write", real)
    box.mark_acked(3)  # the same value: written now
    assert (tmp_path / "outbox.acked").read_text().strip() == "3" and not box.acked_unsaved
    box.close()


def test_a_hole_the_server_cannot_fill_is_known(tmp_path):
    """An unreadable line naming no seq: the server's contiguous seq stops before it."""
    fill(tmp_path, 5)
    path = tmp_path / "outbox.log"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join([*lines[:2], b"0123456789abcdef garbage\n", *lines[2:]]))
    box = Outbox.open(tmp_path)
    assert [(e.seq, e.after_seq) for e in box.kept_aside] == [(None, 2)]
    assert box.hole_after(2) and not box.hole_after(1)
    assert box.last_record()["seq"] == 5
    box.close()


def test_events_can_be_sent_again_from_the_start(tmp_path):
    log = EventLog.open(tmp_path, till_id=2)
    log.record("boot")
    log.record("shutdown")
    _, end = log.unsent()
    log.mark_sent(end)
    assert log.unsent()[0] == [] and log.last_type() == "shutdown"
    log.rewind()
    assert [e["type"] for e in log.unsent()[0]] == ["boot", "shutdown"]
    log.close()
    assert EventLog.open(tmp_path, till_id=2).sent == 0


# -- found by fuzzing (tests/fuzz/test_till_readers.py) ----------------------------------
def _held(box: Outbox) -> list[int]:
    return sorted(e.seq for e in box.pending() if e.seq is not None)


def test_a_damaged_line_cut_in_two_holds_its_seq_once(tmp_path):
    # A newline in the middle of sale 2's line: two unreadable lines. Both took seq 2
    # (the first from its place, the second from its text), and a cut elsewhere left
    # a seq held by none: the server would have waited for it forever.
    fill(tmp_path, 3)
    path = tmp_path / "outbox.log"
    lines = path.read_bytes().splitlines(keepends=True)
    for at in (20, len(lines[1]) // 2, len(lines[1]) - 5):
        cut = lines[1][:at] + b"\n" + lines[1][at:]
        path.write_bytes(b"".join([lines[0], cut, lines[2]]))
        box = Outbox.open(tmp_path)
        assert len(box.kept_aside) == 2 and box.last_seq == 3
        assert _held(box) == [1, 2, 3], at
        box.close()
    # the same at the end of the log: the two lines take the next two seqs
    path.write_bytes(b"".join([lines[0], lines[1][:20], b"\n", lines[1][20:]]))
    box = Outbox.open(tmp_path)
    assert box.last_seq == 3 and _held(box) == [1, 2, 3]
    box.close()


def test_unreadable_lines_at_the_end_take_the_next_seqs_whatever_they_show(tmp_path):
    # Sale 3 damaged where its seq is written ("seq":3 -> "seq":93): at the end of the
    # log its place says 3; taken from the text, seqs 3..92 were pending for ever.
    fill(tmp_path, 3)
    path = tmp_path / "outbox.log"
    data = path.read_bytes()
    last = data.rindex(b'"seq":3')
    path.write_bytes(data[:last] + b'"seq":93' + data[last + 7 :] + b"garbage\n")
    box = Outbox.open(tmp_path)
    assert [e.seq for e in box.kept_aside] == [3, 4]
    assert box.last_seq == 4 and _held(box) == [1, 2, 3, 4]
    box.append(sale_record(box))
    box.close()


def test_a_damaged_line_showing_a_seq_of_thousands_of_digits_is_kept_aside(tmp_path):
    fill(tmp_path, 2)
    with open(tmp_path / "outbox.log", "ab") as f:
        f.write(b'0123456789abcdef {"seq":' + b"9" * 5000 + b"}\n")
    box = Outbox.open(tmp_path)  # int() refuses strings of over 4300 digits
    assert [e.seq for e in box.kept_aside] == [3]
    box.close()


@pytest.mark.parametrize("cursor", [b"\x80", b"\x00", b"-3", b"12a", b"9" * 5000])
def test_a_damaged_cursor_starts_again_from_zero(tmp_path, cursor):
    # outbox.acked and events.sent are replaced atomically: only the disk damages them.
    # From 0 the till sends again what the server holds; it answers duplicates.
    fill(tmp_path, 3)
    (tmp_path / "outbox.acked").write_bytes(cursor)
    box = Outbox.open(tmp_path)
    assert box.acked == 0 and [e.seq for e in box.pending()] == [1, 2, 3]
    box.close()
    ev = EventLog.open(tmp_path, 2)
    ev.record("boot")
    ev.close()
    (tmp_path / "events.sent").write_bytes(cursor)
    ev = EventLog.open(tmp_path, 2)
    assert ev.sent == 0 and len(ev.unsent()[0]) == 1
    ev.close()
