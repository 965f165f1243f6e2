"""A thread that runs jobs one after another from a queue: the till's devices work in
such threads, never in the thread that asked (a screen's, the scanner's)."""

from __future__ import annotations

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
    """`put(fn, *args)` queues a call; `on_idle` runs when no job came for `idle_s`."""

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

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def put(self, fn: Callable[..., Any], *args: Any) -> None:
        self._queue.put((fn, args))

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
                self._call(self.on_idle, ())
                continue
            try:
                if job is _STOP:
                    return
                self._call(*job)
            finally:
                self._queue.task_done()

    def _call(self, fn: Any, args: tuple[Any, ...]) -> None:
        try:
            fn(*args)
        except Exception:  # one job that fails never stops the ones behind it
            log.exception("%s: %s failed", self.name, getattr(fn, "__name__", fn))
