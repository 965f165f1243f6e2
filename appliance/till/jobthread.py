"""The one single-thread executor: a thread that runs jobs one after another from a
queue. The till's devices work in such threads, never in the thread that asked (a
screen's, the scanner's); the touchscreen's worker (`appliance.ui.worker`) is one."""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["JobThread"]

log = logging.getLogger(__name__)

_STOP = object()


class JobThread:
    """`put(fn, *args)` or `submit(call, done)` queues a call, numbered; `on_idle` runs
    when no job came for `idle_s`. A job that fails is logged (and `on_failure(number,
    error)` called) and never stops the ones behind it."""

    def __init__(
        self,
        name: str,
        *,
        on_idle: Callable[[], Any] | None = None,
        idle_s: float = 1.0,
    ) -> None:
        self.name = name
        self.on_idle = on_idle
        self.idle_s = idle_s
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._numbers = itertools.count(1)
        #: the number of the job running now (0: none)
        self.current = 0
        self.on_failure: Callable[[int, BaseException], None] | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def put(self, fn: Callable[..., Any], *args: Any) -> int:
        """Queue `fn(*args)`; the job's number."""
        number = next(self._numbers)
        self._queue.put((number, fn, args, None))
        return number

    def submit(self, call: Callable[[], Any], done: Callable[..., Any] | None = None) -> int:
        """Queue `call`; `done(number, result)` runs after it on the thread. The number."""
        number = next(self._numbers)
        self._queue.put((number, call, (), done))
        return number

    def in_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def stop(self, timeout: float = 15.0) -> None:
        """After the jobs already queued."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
            self._thread = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until every queued job is done; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def _run(self) -> None:
        while True:
            try:
                job = self._queue.get(timeout=self.idle_s if self.on_idle else None)
            except queue.Empty:
                self._call(0, self.on_idle, ())
                continue
            try:
                if job is _STOP:
                    return
                number, fn, args, done = job
                self.current = number
                try:
                    result = self._call(number, fn, args)
                finally:
                    self.current = 0
                if done is not None:
                    try:
                        done(number, result)
                    except Exception:
                        log.exception("%s: after job %d", self.name, number)
            finally:
                self._queue.task_done()

    def _call(self, number: int, fn: Any, args: tuple[Any, ...]) -> Any:
        try:
            return fn(*args)
        except Exception as e:  # one job that fails never stops the ones behind it
            log.exception("%s: %s failed", self.name, getattr(fn, "__name__", fn))
            if number and self.on_failure is not None:
                self.on_failure(number, e)
            return None
