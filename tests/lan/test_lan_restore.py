"""A store server restored from last night's backup: it never saw today's online sales.

`autonome server backup` copies the data folder while the server runs; sales
are made online after it (the server acknowledged them, so the tills moved
their `outbox.acked` past them), the server dies, its folder is replaced by
the backup and it starts again. The tills learn from /health (and from the
answers to their uploads) that the server holds fewer of their sales than it
acknowledged; they move their cursor back and send those sales again. The
journal then holds every sale exactly once, each till's chain whole; the
snapshot version, gone backwards with the restore, is followed too.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time

import pytest

from appliance.processes import autonome
from testbed.lanrig import go_autonomous, login, sell_many, settled
from testbed.rig import API, Till, assert_exactly_once, journal_events

pytestmark = pytest.mark.lan

BACK_WITHIN_S = 10.0


def server_events(db, till_id: int, kind: str | None = None) -> list[dict]:
    """The till's journal events the server holds (of one kind)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT body FROM till_events WHERE till_id = ? AND type = coalesce(?, type)",
            (till_id, kind),
        ).fetchall()
    return [json.loads(r[0]) for r in rows]


def event_after(till: Till, mark: int, name: str, timeout: float = 10, **fields) -> dict:
    """The first event `name` with these fields after `till.history[mark]`, seen or to come."""
    for ev in till.history[mark:]:
        if ev.get("event") == name and all(ev.get(k) == v for k, v in fields.items()):
            return ev
    return till.wait_event(name, timeout=timeout, **fields)


def build_snapshot(srv) -> dict:
    r = srv.api("POST", f"{API}/snapshot/build")
    assert r.status_code == 201, r.text
    return r.json()


def test_restored_server_gets_the_sales_it_lost_again(lan, server, new_till, barcodes, tmp_path):
    srv = server()
    tills = [new_till(srv, "till1"), new_till(srv, "till2")]
    acked: dict[str, list[dict]] = {}
    for i, t in enumerate(tills):
        t.start()
        t.wait_event("mode", mode="ONLINE", timeout=10)
        login(t)
        acked[t.name] = sell_many(t, barcodes[i:], 2, mode="online")
        settled(t)

    night = tmp_path / "backup"  # last night's backup, taken while the server runs
    out = autonome("server", "backup", "--data", str(srv.data), str(night))
    assert "4 sales of 2 tills" in out, out

    v2 = build_snapshot(srv)  # a snapshot the backup never saw
    for i, t in enumerate(tills):
        t.wait_event("snapshot_installed", version=v2["version"], timeout=10)
        acked[t.name] += sell_many(t, barcodes[5 + i :], 4, mode="online")
        settled(t)  # the server acknowledged them: outbox.acked is 6 on both

    srv.kill()  # the server's disk dies; last night's backup goes in its place
    since = time.monotonic()
    for t in tills:
        go_autonomous(t, within=3.0, since=since)
    a, b = tills
    acked[a.name] += sell_many(a, barcodes[20:], 2, mode="autonomous")
    shutil.rmtree(srv.data)
    shutil.copytree(night, srv.data)
    srv = server()  # the same address, the data of last night
    marks = [len(t.history) for t in tills]

    # till1 has sales made while alone: "send" uploads them; the server's answer says
    # it holds 1-2 only, and 3-6 go up in the same upload
    q = a.wait_event("question", id="send_sales", timeout=BACK_WITHIN_S)
    assert q["pending"] == 2, q
    a.send("answer", question="send_sales", answer="send")
    rewound = a.wait_event("resend", timeout=15)
    assert (rewound["acked"], rewound["was"]) == (2, 8), rewound  # 7-8 taken, 1-2 held
    a.wait_event("upload_finished", timeout=15)
    # till2 has none: back online, its first health check says the server holds 1-2
    q = b.wait_event("question", id="send_sales", timeout=BACK_WITHIN_S)
    b.send("answer", question="send_sales", answer="send")
    rewound = b.wait_event("resend", timeout=15)  # ONLINE by then: only health says it
    assert (rewound["acked"], rewound["was"]) == (2, 6), rewound
    a.wait_event("mode", mode="ONLINE", timeout=15)
    for t in tills:
        assert settled(t)["mode"] == "ONLINE"

    # the restored server is at snapshot 1 again: the tills follow it back, then take
    # the next one, whose number is the one they had before but not its bytes
    for t, mark in zip(tills, marks, strict=True):
        event_after(t, mark, "snapshot_installed", version=v2["version"] - 1)
    again = build_snapshot(srv)
    assert again["version"] == v2["version"] and again["sha256"] != v2["sha256"]
    for t in tills:
        t.wait_event("snapshot_installed", version=again["version"], timeout=10)
        installed = (t.data / "snapshot" / "current.json").read_bytes()
        assert (
            installed == (srv.data / "snapshots" / f"snapshot-{again['version']}.json").read_bytes()
        )

    for t in tills:
        assert_exactly_once(srv, t.till_id, acked[t.name])
    # the journal events the restored server lacked went again too (once each, by id)
    deadline = time.monotonic() + 10
    for t, was in zip(tills, (8, 6), strict=True):
        while True:
            on_till = {e["event_id"] for e in journal_events(t.data)}
            on_server = {e["event_id"] for e in server_events(srv.data / "server.db", t.till_id)}
            if on_till <= on_server:
                break
            assert time.monotonic() < deadline, f"{t.name}: events never sent again"
            time.sleep(0.3)
        rewinds = server_events(srv.data / "server.db", t.till_id, "acked_rewound")
        assert [(e["data"]["acked"], e["data"]["server_holds"]) for e in rewinds] == [(was, 2)]
