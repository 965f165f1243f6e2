"""Group commit of online sales: one writer thread, one transaction for all that wait.

Every PUT /sales/{id} hands its body to the committer and waits. The writer
thread takes every sale waiting, judges them in order in one write
transaction (`ingest.judge_jobs`, the same rules as any other call) and
commits it: one fsync for the lot instead of one each. Only then are the
callers answered, so a 201 still means the sale is committed durably
(`synchronous=FULL`). Sales that come while a commit is on the disk wait for
the next one: under load the groups grow by themselves, alone a sale goes at
once.

Each sale passes the crash points `before_commit` (inside the transaction)
and `after_commit` (after it, before any answer), as on the other paths.

If the group's transaction fails, each of its sales is taken again alone
(`ingest.ingest`), so one sale that cannot be written blocks no other.

`WalCheckpoints` copies the WAL into the database file from a thread of its
own, so that no commit pays for SQLite's auto-checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

from appliance.system.crash import crash_point

from .ingest import Job, Outcome, ingest, judge_jobs, put_outcome, put_record
from .storage import Store

__all__ = ["Committer", "WalCheckpoints"]

log = logging.getLogger("autonome.server.committer")

#: At most this many sales in one transaction (the others wait for the next).
MAX_GROUP = 256


@dataclass
class _Sale:
    till_id: int
    body: bytes
    sale_id: str
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Outcome]


class Committer:
    """The writer thread of the online sales of one store (started at first use)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: queue.SimpleQueue[_Sale | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    async def put(self, till_id: int, body: bytes, sale_id: str) -> Outcome:
        """Take in one PUT record; its outcome once it is committed."""
        if self._thread is None or self._closed:
            self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._queue.put(_Sale(till_id, body, sale_id, loop, future))
        return await future

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the server is stopping")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="autonome-committer", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Commit what is waiting, then end the thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    # -- the writer thread ---------------------------------------------------------
    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                group.append(more)
            self._commit(group)

    def _commit(self, group: list[_Sale]) -> None:
        parsed = [put_record(s.body) for s in group]
        jobs = [
            Job(s.till_id, [item], s.sale_id) for s, (item, _) in zip(group, parsed, strict=True)
        ]
        results: list[Outcome | BaseException]
        try:
            with self.store.write() as conn:
                judged = judge_jobs(conn, jobs, self.store.clock_offsets)
                for _ in group:
                    crash_point("before_commit")
            for _ in group:
                crash_point("after_commit")
            results = [
                put_outcome(out[0], s.sale_id, bad)
                for s, out, (_, bad) in zip(group, judged, parsed, strict=True)
            ]
        except Exception:
            log.exception("a group of %d sale(s) failed; taking them one by one", len(group))
            results = [self._alone(s) for s in group]
        self._answer(group, results)

    def _alone(self, sale: _Sale) -> Outcome | BaseException:
        try:
            return ingest(self.store, sale.till_id, sale.body, sale.sale_id)
        except Exception as e:
            log.exception("till %s: sale %s could not be taken in", sale.till_id, sale.sale_id)
            return e

    @staticmethod
    def _answer(group: list[_Sale], results: list[Outcome | BaseException]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any]]] = {}
        for sale, result in zip(group, results, strict=True):
            by_loop.setdefault(sale.loop, []).append((sale.future, result))
        for loop, answers in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, answers)


def _settle(answers: list[tuple[asyncio.Future, Any]]) -> None:
    for future, result in answers:
        if future.done():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


class WalCheckpoints:
    """The WAL copied into the database file every `every` seconds by a thread of its
    own, so no commit (no sale) pays for a checkpoint (`Store.checkpoint_apart`)."""

    def __init__(self, store: Store, every: float = 1.0) -> None:
        self.store = store
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.store.checkpoint_apart()
        self._thread = threading.Thread(target=self._run, name="autonome-checkpoint", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.store.checkpoint()
            except Exception:  # a busy or locked file: the next round does it
                log.exception("WAL checkpoint failed")
