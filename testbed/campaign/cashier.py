"""A cashier at a till: drives one headless till process over the test LAN,
sells, answers its questions as a cashier might, restarts it after a kill."""

from __future__ import annotations

import contextlib
import random
import subprocess
import time
from collections.abc import Callable
from typing import Any

from appliance.processes import ProcessError
from testbed.rig import CASHIER, Till

from .judge import Ledger

__all__ = ["RETRY_PAY", "STEP_S", "Cashier", "Stuck"]

RETRY_PAY = ("question_pending", "not_ready", "outbox_write_failed")  # pay again after these
STEP_S = 20.0  # one step of a sale (a scan, a payment) answers within this


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
        # what a sale cut short left: the demo store's manager approves its cancel
        self.till.send("cancel", manager="m1", manager_pin="9876")
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
