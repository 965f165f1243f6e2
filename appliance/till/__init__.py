"""The till core, without any screen: modes, sales, outbox, snapshot, link to the server.

A screen (the headless console or the Kivy UI) creates a `Till`, subscribes
to its events, calls `start()`, then drives it with commands (methods).
"""

from .client import NotFound, Rejected, ServerClient, ServerError, ServerUnreachable
from .config import NotEnrolled, Settings, TillConfig
from .modes import Mode, Question, Signal
from .outbox import Outbox, OutboxBusy, OutboxWriteError
from .session import Till
from .snapshot import Catalogue, SnapshotRejected, SnapshotStore

__all__ = [
    "Catalogue",
    "Mode",
    "NotEnrolled",
    "NotFound",
    "Outbox",
    "OutboxBusy",
    "OutboxWriteError",
    "Question",
    "Rejected",
    "ServerClient",
    "ServerError",
    "ServerUnreachable",
    "Settings",
    "Signal",
    "SnapshotRejected",
    "SnapshotStore",
    "Till",
    "TillConfig",
]
