"""The two doors between the screens and the till core, both without Kivy.

`Worker`: one thread that runs the till's commands in the order they were
given. A command may wait on the network (an online lookup, a login that
fetches the snapshot, an upload) or on a device (a reprint): the UI thread
only puts it in the queue and goes on drawing.

`EventPump`: the till publishes its events from its own threads (the
worker, the link, the devices); the pump queues them and asks the UI thread,
through `schedule` (a Kivy trigger, thread safe), to handle them there in
their order. Events published while the worker runs a command carry that
command's number as `_request`, so the screen can swap its provisional line
for the core's.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from appliance.till.jobthread import JobThread

__all__ = ["EventPump", "Worker"]

log = logging.getLogger(__name__)

Event = dict[str, Any]


class Worker(JobThread):
    """Runs the till's commands one at a time, in order, on its own thread (the till
    core's single-thread executor)."""

    def __init__(self, name: str = "till-ui-worker") -> None:
        super().__init__(name)

    def in_worker(self) -> bool:
        return self.in_thread()

    def stop(self, timeout: float = 20.0) -> None:
        """Let the queued commands finish (a sale being paid is never cut), then end."""
        super().stop(timeout)


class EventPump:
    """Till events in, the same events out on the UI thread, in order."""

    def __init__(self, handle: Callable[[Event], None], worker: Worker | None = None) -> None:
        self.handle = handle
        self.worker = worker
        self._events: deque[Event] = deque()
        #: set by the UI: asks its thread to call `drain` soon (thread safe)
        self.schedule: Callable[[], Any] = lambda: None

    def publish(self, event: Event) -> None:
        """A till subscriber: called from any thread, returns at once."""
        if self.worker is not None and self.worker.in_worker() and self.worker.current:
            event = {**event, "_request": self.worker.current}
        self._events.append(event)
        self.schedule()

    def post(self, name: str, **fields: Any) -> None:
        """An event of the UI's own (a command finished, a worker failure)."""
        self._events.append({"event": name, **fields})
        self.schedule()

    def drain(self, *_args: Any) -> int:
        """Handle every queued event on the calling (UI) thread; how many."""
        n = 0
        while True:
            try:
                event = self._events.popleft()
            except IndexError:
                return n
            n += 1
            try:
                self.handle(event)
            except Exception:  # one bad event must not stop the screen
                log.exception("the screen failed on event %s", event.get("event"))
