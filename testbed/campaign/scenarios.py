"""The campaign itself: the shop on a LAN of network namespaces, its scenarios
(sales before, during and after the faults drawn), and the checks after each."""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.processes import ServerProcess, autonome
from testbed.netns import Lan
from testbed.rig import API, Till, snapshot_barcodes

from .cashier import Cashier, Stuck
from .faults import FAULTS, SERVER_FAULTS, TILL_FAULTS, inject
from .judge import Ledger, Tally, judge, local_day

__all__ = ["PORT", "SETTLE_S", "TILLS", "Campaign"]

TILLS = ("till1", "till2", "till3")
PORT = 8470
SETTLE_S = 45.0  # after healing, every till is online with nothing pending within this


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
        """Start fault `kind`; what heals it (testbed.campaign.faults)."""
        return inject(self, kind, victim, rng, kill_at)

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
