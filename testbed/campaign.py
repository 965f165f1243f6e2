"""The fault campaign: three tills sell on a shop LAN while faults are injected.

`python -m testbed.campaign --seed S -n N` (`make campaign SEED=S N=N`) builds
a LAN of network namespaces (testbed/netns.py), starts a store server on `srv`
and three headless tills on `till1`..`till3`, logs a cashier in on each, then
runs N scenarios. A scenario draws its faults from its own random generator
(seeded by the campaign seed and its number, so `--only K` replays scenario K
of a run), lets the tills sell before, during and after them, heals, waits
until every till is online with nothing pending, and checks the invariants of
docs/architecture.md against the server's journal:

- every acknowledged sale is in the journal exactly once, as acknowledged;
- every till's chain verifies, and the server logged no integrity event;
- the journal's totals, and the X reports', equal the sum of the receipts;
- a gap is reported only while the till really holds the sales in it.

The cashiers answer the questions as a cashier might: mostly "yes" and "send",
sometimes "retry" or "later" (and then press "upload" by hand).

The last line is `campaign: S scenarios, A acknowledged, J in journal, L lost,
D duplicated, C chain errors`; the exit status is 1 when L, D or C is not 0,
2 when the LAN cannot be built here (root, iproute2 and nftables are needed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from appliance.domain import verify_chain
from appliance.processes import ProcessError, ServerProcess, autonome
from testbed.netns import Lan, lan_unavailable, sweep_stale
from testbed.rig import API, CASHIER, Till, snapshot_barcodes

__all__ = ["Campaign", "Ledger", "Tally", "judge", "main"]

TILLS = ("till1", "till2", "till3")
PORT = 8470
SETTLE_S = 45.0  # after healing, every till is online with nothing pending within this
RETRY_PAY = ("question_pending", "not_ready", "outbox_write_failed")  # pay again after these
STEP_S = 20.0  # one step of a sale (a scan, a payment) answers within this

#: The faults, by kind. A scenario draws one, sometimes two of them.
SERVER_FAULTS = ("server_cable", "server_black_hole", "server_kill", "server_crash_commit")
TILL_FAULTS = (
    "till_cable",
    "till_kill_mid_sale",
    "till_kill_in_flight",
    "till_kill_upload",
    "till_crash_before_append",  # the till's own crash points (AUTONOME_CRASH_AT)
    "till_crash_after_append",
)
FAULTS = SERVER_FAULTS + TILL_FAULTS


# -- what the cashiers were told ------------------------------------------------------------
@dataclass
class Ledger:
    """Per till: the sales the till acknowledged (sale_closed), by seq, and the
    seqs in doubt (the till was killed between the payment and its answer)."""

    acked: dict[int, dict[str, Any]] = field(default_factory=dict)
    in_doubt: set[int] = field(default_factory=set)


@dataclass
class Tally:
    scenarios: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    #: faults that may not bite (a crash point no sale reached, an upload too quick
    #: to be cut): how many times they did
    bit: Counter[str] = field(default_factory=Counter)
    acknowledged: int = 0
    in_journal: int = 0
    lost: int = 0
    duplicated: int = 0
    chain_errors: int = 0
    total_errors: int = 0
    false_gaps: int = 0
    stuck: int = 0
    recorded_in_doubt: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        bad = self.lost + self.duplicated + self.chain_errors + self.total_errors
        return bad + self.false_gaps + self.stuck == 0

    def line(self) -> str:
        return (
            f"campaign: {self.scenarios} scenarios, {self.acknowledged} acknowledged, "
            f"{self.in_journal} in journal, {self.lost} lost, {self.duplicated} duplicated, "
            f"{self.chain_errors} chain errors"
        )


class Stuck(RuntimeError):
    """A till did not answer as a till must (a step timed out)."""


# -- a cashier at a till ---------------------------------------------------------------------
class Cashier:
    """Drives one till process: sells, answers its questions, restarts it after a kill."""

    def __init__(self, till: Till, barcodes: list[str], ledger: Ledger, say: Callable) -> None:
        self.till = till
        self.barcodes = barcodes
        self.ledger = ledger
        self.say = say
        self.rng = random.Random(0)
        self.mode = "DISCOVERING"
        self.question: dict[str, Any] | None = None
        self.later = False  # answered "later": the cashier presses "upload" herself
        self.logged_in = False
        self.kill_on_upload = False  # SIGKILL once the first batch of an upload is taken
        self.killed_in_upload = 0
        self.armed = False  # started with a crash point: its next payment kills it

    # -- events -----------------------------------------------------------------------------
    def _see(self, ev: dict[str, Any]) -> bool:
        """Every event passes here: keep the mode, answer questions. False: not for the caller."""
        name = ev.get("event")
        if name == "mode":
            self.mode = ev.get("mode", self.mode)
        elif name == "question":
            self.question = ev
            self._answer(ev)
            return False
        elif name == "status":
            self.mode = ev.get("mode", self.mode)
        elif name == "upload_progress" and self.kill_on_upload and ev.get("sent", 0) > 0:
            self.kill_on_upload = False
            self.killed_in_upload += 1
            self.kill()
        return True

    def _answer(self, q: dict[str, Any]) -> None:
        qid = q.get("id")
        roll = self.rng.random()
        if qid == "go_autonomous":
            answer = "retry" if roll < 0.15 else "yes"
        elif qid == "send_sales":
            answer = "later" if roll < 0.2 else "send"
            self.later = answer == "later"
        else:
            answer = (q.get("choices") or ["yes"])[0]
        with contextlib.suppress(ProcessError):
            self.till.send("answer", question=qid, answer=answer)

    def wait(self, names: set[str], timeout: float = STEP_S) -> dict[str, Any]:
        def match(ev: dict[str, Any]) -> bool:
            return self._see(ev) and ev.get("event") in names

        try:
            return self.till.wait_for(match, timeout, what="/".join(sorted(names)))
        except ProcessError as e:
            raise Stuck(str(e)) from None

    def drain(self) -> None:
        """Take the events already there (answering questions on the way)."""
        while True:
            try:
                ev = self.till.events.get_nowait()
            except Exception:
                return
            self.till.history.append(ev)
            self._see(ev)

    # -- life -------------------------------------------------------------------------------
    def start(self, env: dict[str, str] | None = None) -> None:
        self.till.start(env=env)
        self.armed = bool(env)
        self.mode = "DISCOVERING"
        self.logged_in = False
        self.later = False

    def login(self) -> None:
        for _ in range(50):
            self.till.send("login", **CASHIER)
            ev = self.wait({"logged_in", "error"})
            if ev["event"] == "logged_in":
                self.logged_in = True
                return
            time.sleep(0.2)
        raise Stuck(f"{self.till.name}: cannot log in")

    def kill(self) -> None:
        self.till.kill()
        self.logged_in = False

    def dead_soon(self, within: float = 5.0) -> bool:
        """Its output ended: has the process exited (reaped a moment after)?"""
        proc = self.till.proc
        if proc is None:
            return True
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(within)
        return proc.poll() is not None

    @property
    def alive(self) -> bool:
        return self.till.proc is not None and self.till.proc.poll() is None

    # -- selling ----------------------------------------------------------------------------
    def sell(self, n: int, *, kill_at: str | None = None) -> str | None:
        """Make `n` sales. With `kill_at`, the till is killed (SIGKILL) in the last one:
        `mid_sale` after its lines, `in_flight` just after the payment is sent."""
        for i in range(n):
            last = i == n - 1
            what = self.sell_one(kill_at if last else None)
            if what == "killed":
                return "killed"
        return None

    def sell_one(self, kill_at: str | None = None) -> str:
        if not self.logged_in:
            self.login()
        self.till.send("cancel")
        self.wait({"sale_cancelled"})
        k = self.rng.randint(1, 3)
        start = self.rng.randrange(len(self.barcodes))
        codes = [self.barcodes[(start + j * 7) % len(self.barcodes)] for j in range(k)]
        for code in codes:
            self._scan(code)
        if kill_at == "mid_sale":
            self.kill()
            return "killed"
        method = self.rng.choice(("cash", "cash", "card"))
        for _ in range(40):
            if method == "cash":
                self.till.send("pay", method="cash", amount=100_00)
            else:
                self.till.send("pay", method="card")
            if kill_at == "in_flight":
                # the payment is on its way: SIGKILL now, before the answer is read
                time.sleep(self.rng.uniform(0.0, 0.004))
                self.ledger.in_doubt.add(self._last_seq() + 1)
                self.kill()
                return "killed"
            if self.armed:  # it dies at its crash point, the sale recorded or not
                self.ledger.in_doubt.add(self._last_seq() + 1)
                try:
                    ev = self.wait({"sale_closed", "error"})
                except Stuck:
                    if not self.dead_soon():
                        raise
                    self.armed = self.logged_in = False
                    return "killed"
                self.ledger.in_doubt.discard(self._last_seq())
                if ev["event"] == "sale_closed" or ev.get("code") not in RETRY_PAY:
                    raise Stuck(f"{self.till.name}: went past its crash point: {ev}")
                time.sleep(0.2)
                continue
            ev = self.wait({"sale_closed", "error"})
            if ev["event"] == "sale_closed":
                self.ledger.acked[ev["seq"]] = ev
                return "sold"
            if ev.get("code") not in RETRY_PAY:
                raise Stuck(f"{self.till.name}: payment refused: {ev}")
            time.sleep(0.2)
        raise Stuck(f"{self.till.name}: the payment never went through")

    def _last_seq(self) -> int:
        seqs = list(self.ledger.acked) + list(self.ledger.in_doubt)
        return max(seqs, default=0)

    def _scan(self, code: str) -> None:
        for _ in range(60):
            self.till.send("scan", code=code)
            while True:
                ev = self.wait({"line_added", "error"})
                if ev["event"] == "line_added":
                    return
                code_ = ev.get("code")
                if code_ == "server_unreachable":
                    continue  # kept, rung up again once the question is answered
                if code_ in ("question_pending", "not_ready"):
                    time.sleep(0.2)
                    break
                if code_ == "not_logged_in":
                    self.login()
                    break
                raise Stuck(f"{self.till.name}: scan refused: {ev}")
        raise Stuck(f"{self.till.name}: cannot ring {code} up")

    # -- settling -----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        self.till.send("status")
        return self.wait({"status"})

    def settle(self, deadline: float) -> dict[str, Any]:
        """Answer questions (and press "upload" after a "later") until the till is
        online with nothing pending; its last status."""
        pressed = 0.0
        while True:
            if not self.alive:
                self.start()
                self.login()
            try:
                st = self.status()
            except Stuck:
                if not self.dead_soon():
                    raise
                continue  # killed during its upload: started again above
            if st["mode"] == "ONLINE" and st["pending"] == 0 and not st.get("question"):
                return st
            if time.monotonic() > deadline:
                raise Stuck(f"{self.till.name} not settled: {st}")
            if (
                st["mode"] == "AUTONOMOUS"
                and self.later
                and not st.get("question")
                and time.monotonic() - pressed > 3
            ):
                self.till.send("upload")  # the cashier's own "send now"
                pressed = time.monotonic()
            with contextlib.suppress(Stuck):
                self.wait({"mode", "upload_finished"}, timeout=0.5)


# -- the campaign ----------------------------------------------------------------------------
class Campaign:
    def __init__(self, seed: int, work: Path, say: Callable[[str], None]) -> None:
        self.seed = seed
        self.work = work
        self.say = say
        self.lan = Lan(("srv", *TILLS))
        self.tally = Tally()
        self.ledgers = {name: Ledger() for name in TILLS}
        self.cashiers: dict[str, Cashier] = {}
        self.server: ServerProcess | None = None

    # -- set-up ---------------------------------------------------------------------------------
    def up(self) -> None:
        self.lan.up()
        data = self.work / "server"
        autonome("server", "init", "--data", str(data), "--demo", timeout=300)
        autonome("snapshot", "build", "--data", str(data))
        self.barcodes = snapshot_barcodes(data)
        self.server = ServerProcess(
            data, port=PORT, host=self.lan.ip("srv"), prefix=self.lan.exec("srv")
        )
        self.server.start()
        for name in TILLS:
            code = self.api("POST", f"{API}/enrolment-codes", json={"name": name}).json()["code"]
            till = Till(
                self.work / name,
                name,
                prefix=self.lan.exec(name),
                mdns_interface=self.lan.ip(name),
            )
            till.enroll(code, self.server.url)
            conf = json.loads((till.data / "till.json").read_text())
            till.till_id = int(conf["till_id"])
            # a shop's settings, with the "is the server back?" check every second
            conf.setdefault("settings", {}).update({"back_probe_s": 1.0})
            (till.data / "till.json").write_text(json.dumps(conf, indent=2))
            cashier = Cashier(till, self.barcodes, self.ledgers[name], self.say)
            self.cashiers[name] = cashier
            cashier.start()
        for c in self.cashiers.values():
            c.login()

    def down(self) -> None:
        for c in self.cashiers.values():
            with contextlib.suppress(Exception):
                c.till.kill()
        if self.server is not None:
            with contextlib.suppress(Exception):
                self.server.kill()
        self.lan.down()

    def api(self, method: str, path: str, **kw: Any) -> Any:
        assert self.server is not None
        server = self.server
        return self.lan.call("srv", lambda: server.api(method, path, **kw))

    # -- one scenario ---------------------------------------------------------------------------
    def draw(self, number: int) -> tuple[list[str], str, random.Random]:
        """The faults of scenario `number`, its victim till, and its generator."""
        rng = random.Random(f"{self.seed}:{number}")
        kinds = [rng.choice(FAULTS)]
        if kinds[0] == "till_kill_upload":  # an upload needs sales kept while the server was away
            kinds.append(rng.choice(SERVER_FAULTS))
        elif rng.random() < 0.3:  # two at once: one on the server's side, one on a till
            kinds.append(rng.choice(TILL_FAULTS if kinds[0] in SERVER_FAULTS else SERVER_FAULTS))
        return kinds, rng.choice(TILLS), rng

    def scenario(self, number: int) -> None:
        kinds, victim, rng = self.draw(number)
        for c in self.cashiers.values():
            c.rng = random.Random(f"{self.seed}:{number}:{c.till.name}")
            c.kill_on_upload = False
        self.say(f"scenario {number}: {' + '.join(kinds)} (till {victim})")
        self.tally.faults.update(kinds)

        self.in_parallel({n: (lambda c: c.sell(c.rng.randint(0, 2))) for n in TILLS})
        heal: list[Callable[[], None]] = []
        kill_at: dict[str, str] = {}
        for kind in kinds:
            heal.append(self.inject(kind, victim, rng, kill_at))
        self.in_parallel(
            {n: (lambda c, n=n: c.sell(c.rng.randint(1, 3), kill_at=kill_at.get(n))) for n in TILLS}
        )
        for h in reversed(heal):
            h()
        self.check_gaps(f"scenario {number}, healed")
        self.settle()
        self.tally.bit["till_kill_upload"] = sum(c.killed_in_upload for c in self.cashiers.values())

    def inject(
        self, kind: str, victim: str, rng: random.Random, kill_at: dict[str, str]
    ) -> Callable[[], None]:
        """Start fault `kind`; what heals it."""
        lan, srv = self.lan, self.server
        assert srv is not None
        if kind == "server_cable":
            lan.cable("srv", plugged=False)
            return lambda: lan.cable("srv", plugged=True)
        if kind == "server_black_hole":
            lan.black_hole("srv")
            return lambda: lan.clear_black_hole("srv")
        if kind == "server_kill":
            srv.kill()
            return lambda: srv.start()
        if kind == "server_crash_commit":
            srv.kill()
            point = rng.choice(("before_commit", "after_commit"))
            srv.start(
                env={"AUTONOME_CRASH_AT": point, "AUTONOME_CRASH_AFTER": str(rng.randint(0, 3))}
            )

            def restart() -> None:
                if srv.proc is not None and srv.proc.poll() is not None:
                    self.tally.bit[kind] += 1  # it died at its crash point
                srv.kill()  # still alive: the tills made too few sales to reach it
                srv.start()

            return restart
        if kind == "till_cable":
            lan.cable(victim, plugged=False)
            return lambda: lan.cable(victim, plugged=True)
        if kind in ("till_kill_mid_sale", "till_kill_in_flight"):
            kill_at[victim] = kind.removeprefix("till_kill_")
            return lambda: self.restart(victim)
        if kind.startswith("till_crash_"):
            c = self.cashiers[victim]
            c.kill()
            c.start(env={"AUTONOME_CRASH_AT": "till_" + kind.removeprefix("till_crash_")})
            c.login()
            return lambda: self.restart(victim)
        if kind == "till_kill_upload":
            self.cashiers[victim].kill_on_upload = True  # at its first batch acknowledged
            return lambda: None
        raise ValueError(kind)

    def restart(self, name: str) -> None:
        c = self.cashiers[name]
        if not c.alive:
            c.start()
            c.login()

    def in_parallel(self, work: dict[str, Callable[[Cashier], Any]]) -> None:
        errors: list[BaseException] = []

        def run(name: str, fn: Callable[[Cashier], Any]) -> None:
            try:
                fn(self.cashiers[name])
            except BaseException as e:  # reported below, in the main thread
                errors.append(e)

        threads = [threading.Thread(target=run, args=(n, fn)) for n, fn in work.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def settle(self, span: float = SETTLE_S) -> None:
        deadline = time.monotonic() + span
        self.in_parallel({n: (lambda c: c.settle(deadline)) for n in TILLS})

    # -- the invariants ---------------------------------------------------------------------------
    def journal(self, till_id: int) -> list[dict[str, Any]]:
        sales: list[dict[str, Any]] = []
        while True:
            after = sales[-1]["seq"] if sales else 0
            params = {"till_id": till_id, "after_seq": after, "limit": 5000}
            page = self.api("GET", f"{API}/journal", params=params).json()["sales"]
            if not page:
                return sales
            sales.extend(page)

    def check(self, where: str) -> Tally:
        """Compare the journal with what the tills acknowledged: the counts so far."""
        t = Tally()
        pending = self.api("GET", f"{API}/pending").json()
        integrity = self.api("GET", f"{API}/integrity").json()
        days: set[str] = set()
        journal_total = receipts_total = 0
        for name in TILLS:
            till_id = self.cashiers[name].till.till_id
            sales = self.journal(till_id)
            mine = [x for x in integrity if x.get("till_id") == till_id]
            gaps = [g for g in pending if g.get("till_id") == till_id]
            receipts_total += judge(t, f"{where}: {name}", self.ledgers[name], sales, mine, gaps)
            journal_total += sum(s["total"] for s in sales)
            days |= {local_day(s["closed_at"]) for s in sales}
        reports_total = 0
        for day in sorted(days):
            report = self.api("GET", f"{API}/reports/x", params={"day": day}).json()
            reports_total += report["total"]
        if not journal_total == receipts_total == reports_total:
            t.total_errors += 1
            t.failures.append(
                f"{where}: totals: journal {journal_total}, receipts {receipts_total}, "
                f"X reports {reports_total}"
            )
        return t

    def check_gaps(self, where: str) -> None:
        """Server up, tills maybe still holding sales: a reported gap must lie within
        what its till really holds (read after the server's list: seqs only grow)."""
        pending = self.api("GET", f"{API}/pending").json()
        for name, c in self.cashiers.items():
            if c.till.proc is None or c.till.proc.poll() is not None:
                continue
            last = c.status()["last_seq"]
            for g in pending:
                if g.get("till_id") != c.till.till_id:
                    continue
                if any(int(b) > last for _, b in g.get("ranges", [])):
                    self.tally.false_gaps += 1
                    self.tally.failures.append(f"{where}: {name} holds up to {last}, but {g}")

    # -- the run ----------------------------------------------------------------------------------
    def run(self, numbers: list[int]) -> Tally:
        started = time.monotonic()
        for number in numbers:
            t0 = time.monotonic()
            try:
                self.scenario(number)
            except Stuck as e:
                self.tally.stuck += 1
                self.tally.failures.append(f"scenario {number}: stuck: {e}")
                self.say(f"  stuck: {e}")
                self.recover()
            self.tally.scenarios += 1
            seen = self.check(f"after scenario {number}")
            seen.scenarios = self.tally.scenarios
            for f in seen.failures:
                if f.split(": ", 1)[1] not in {x.split(": ", 1)[-1] for x in self.tally.failures}:
                    self.tally.failures.append(f)
                    self.say(f"  {f}")
            self.say(f"  {time.monotonic() - t0:.1f} s; {seen.line()}")
        final = self.check("at the end")
        for k in ("acknowledged", "in_journal", "lost", "duplicated", "chain_errors"):
            setattr(self.tally, k, getattr(final, k))
        self.tally.total_errors = final.total_errors
        self.tally.recorded_in_doubt = final.recorded_in_doubt
        self.tally.false_gaps += final.false_gaps
        self.elapsed = time.monotonic() - started
        return self.tally

    def recover(self) -> None:
        """After a stuck scenario: heal everything, restart what is down, settle again."""
        assert self.server is not None
        for host in ("srv", *TILLS):
            with contextlib.suppress(Exception):
                self.lan.cable(host, plugged=True)
            with contextlib.suppress(Exception):
                self.lan.clear_black_hole(host)
        if self.server.proc is None or self.server.proc.poll() is not None:
            self.server.start()
        for c in self.cashiers.values():
            c.kill_on_upload = False
        try:
            self.settle(SETTLE_S * 2)
        except Stuck as e:
            self.tally.failures.append(f"could not recover: {e}")
            raise


def judge(
    t: Tally,
    who: str,
    ledger: Ledger,
    sales: list[dict[str, Any]],
    integrity: list[dict[str, Any]],
    gaps: list[dict[str, Any]],
) -> int:
    """Count into `t` what is wrong with one settled till's journal (`sales`, the
    server's integrity events and pending gaps of that till) against what the
    till acknowledged; the sum of its receipts."""
    by_seq = {s["seq"]: s for s in sales}
    t.acknowledged += len(ledger.acked)
    t.in_journal += len(sales)
    for counts in (Counter(s["sale_id"] for s in sales), Counter(s["seq"] for s in sales)):
        for key, n in counts.items():
            if n > 1:
                t.duplicated += n - 1
                t.failures.append(f"{who}: {key} is {n} times in the journal")
    for seq, ack in sorted(ledger.acked.items()):
        got = by_seq.get(seq)
        if got is None or [got[k] for k in ("sale_id", "hash", "total")] != [
            ack[k] for k in ("sale_id", "hash", "total")
        ]:
            t.lost += 1
            t.failures.append(f"{who}: sale {seq} acknowledged, not in the journal as such")
    extra = set(by_seq) - set(ledger.acked)
    for seq in sorted(extra):
        if seq in ledger.in_doubt:
            t.recorded_in_doubt += 1  # paid, then the till died before it said so
        else:
            t.duplicated += 1
            t.failures.append(f"{who}: sale {seq} in the journal, never made")
    breaks = verify_chain(sales)
    t.chain_errors += len(breaks) + len(integrity)
    if breaks or integrity:
        t.failures.append(f"{who}: chain breaks {breaks}, integrity events {integrity}")
    if gaps:  # the till is settled: nothing is really pending
        t.false_gaps += 1
        t.failures.append(f"{who}: reported pending while nothing is: {gaps}")
    receipts = sum(a["total"] for a in ledger.acked.values())
    return receipts + sum(by_seq[q]["total"] for q in extra & ledger.in_doubt)


def local_day(closed_at: str) -> str:
    """The business day of a sale, as the server counts it (its local date)."""
    return datetime.fromisoformat(closed_at).astimezone().date().isoformat()


# -- command line ---------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m testbed.campaign", description=__doc__.split("\n")[0]
    )
    p.add_argument("--seed", type=int, default=None, help="the campaign's seed (random)")
    p.add_argument("-n", type=int, default=200, help="how many scenarios (200)")
    p.add_argument("--only", type=int, nargs="*", help="run only these scenarios of the seed")
    p.add_argument("--json", type=Path, help="write the figures there too")
    p.add_argument("--keep", action="store_true", help="keep the data folders")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the last line")
    return p


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1, 10**6)
    numbers = a.only if a.only else list(range(1, a.n + 1))

    def say(text: str) -> None:
        if not a.quiet:
            print(text, flush=True)

    why = lan_unavailable("nft")
    if why:
        print(f"campaign: cannot run here: {why}", file=sys.stderr)
        return 2
    sweep_stale()
    # SIGTERM (a CI timeout, say) ends the run through the finally below: the LAN goes
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="autonome-campaign-"))
    say(f"campaign: seed {seed}, {len(numbers)} scenarios, data in {work}")
    campaign = Campaign(seed, work, say)
    try:
        campaign.up()
        tally = campaign.run(numbers)
    finally:
        campaign.down()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    figures = {
        "seed": seed,
        "scenarios": tally.scenarios,
        "faults": dict(sorted(tally.faults.items())),
        "bit": dict(sorted(tally.bit.items())),
        "acknowledged": tally.acknowledged,
        "in_journal": tally.in_journal,
        "lost": tally.lost,
        "duplicated": tally.duplicated,
        "chain_errors": tally.chain_errors,
        "total_errors": tally.total_errors,
        "false_gaps": tally.false_gaps,
        "stuck": tally.stuck,
        "recorded_in_doubt": tally.recorded_in_doubt,
        "seconds": round(campaign.elapsed, 1),
        "failures": tally.failures,
    }
    if a.json:
        a.json.write_text(json.dumps(figures, indent=2) + "\n")
    say(
        f"faults: {', '.join(f'{k} {v}' for k, v in figures['faults'].items())} "
        f"(took effect: {', '.join(f'{k} {v}' for k, v in figures['bit'].items())}); "
        f"{tally.recorded_in_doubt} sales in doubt recorded; {tally.total_errors} total errors, "
        f"{tally.false_gaps} false gaps, {tally.stuck} stuck; {campaign.elapsed:.0f} s; "
        f"replay: make campaign SEED={seed} N={a.n}"
    )
    print(tally.line(), flush=True)
    return 0 if tally.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
