"""Events of the till core, published to whoever listens (headless console, Kivy UI).

An event is a plain dict with an "event" key. Subscribers are called in the
publishing thread, one event at a time and in order; they must return quickly
(a UI schedules the work on its own thread).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Event", "EventBus", "Subscriber"]

log = logging.getLogger(__name__)

Event = dict[str, Any]
Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, name: str, /, **fields: Any) -> Event:
        event: Event = {"event": name, **fields}
        with self._lock:
            for callback in list(self._subscribers):
                try:
                    callback(event)
                except Exception:  # one bad listener must not stop the till
                    log.exception("event subscriber failed on %s", name)
        return event
