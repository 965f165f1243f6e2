"""The modes of a till and how it moves between them (ARCHITECTURE.md, "Till modes").

```
BOOT -> DISCOVERING --found--> (offline sales waiting?) --yes--> ASK_UPLOAD
                                  | no                        send | later
                                  v                              v      v
                                ONLINE <------- SYNCING <--------+   AUTONOMOUS
                                  | server fails (request, heartbeat, mDNS goodbye)
                                  v
                              ASK_AUTONOMOUS --yes--> AUTONOMOUS
                                  | retry
                                  +--> DISCOVERING (probe: ONLINE or ask again)
DISCOVERING --not found--> ASK_AUTONOMOUS
```

This module is pure: a table of transitions and the questions put to the
cashier. The session applies it and does the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Mode",
    "Question",
    "Signal",
    "TRANSITIONS",
    "ask_autonomous",
    "ask_upload",
    "reaches_server",
    "step",
]


class Mode(StrEnum):
    BOOT = "BOOT"
    DISCOVERING = "DISCOVERING"
    ASK_UPLOAD = "ASK_UPLOAD"
    ASK_AUTONOMOUS = "ASK_AUTONOMOUS"
    ONLINE = "ONLINE"
    SYNCING = "SYNCING"
    AUTONOMOUS = "AUTONOMOUS"


class Signal(StrEnum):
    START = "start"
    FOUND = "found"  # server found, no offline sales waiting
    FOUND_WITH_SALES = "found_with_sales"  # server found, offline sales waiting
    NOT_FOUND = "not_found"
    SERVER_LOST = "server_lost"  # request error or timeout, heartbeat, mDNS goodbye
    SERVER_BACK = "server_back"  # noticed while autonomous (mDNS or health check)
    YES = "yes"  # go autonomous
    RETRY = "retry"
    SEND = "send"
    LATER = "later"
    UPLOAD_NOW = "upload_now"  # the cashier's upload command
    UPLOAD_DONE = "upload_done"
    UPLOAD_INTERRUPTED = "upload_interrupted"


M, S = Mode, Signal
TRANSITIONS: dict[tuple[Mode, Signal], Mode] = {
    (M.BOOT, S.START): M.DISCOVERING,
    (M.DISCOVERING, S.FOUND): M.ONLINE,
    (M.DISCOVERING, S.FOUND_WITH_SALES): M.ASK_UPLOAD,
    (M.DISCOVERING, S.NOT_FOUND): M.ASK_AUTONOMOUS,
    (M.ASK_UPLOAD, S.SEND): M.SYNCING,
    (M.ASK_UPLOAD, S.LATER): M.AUTONOMOUS,
    (M.ONLINE, S.SERVER_LOST): M.ASK_AUTONOMOUS,
    (M.ONLINE, S.UPLOAD_NOW): M.SYNCING,
    (M.ASK_AUTONOMOUS, S.YES): M.AUTONOMOUS,
    (M.ASK_AUTONOMOUS, S.RETRY): M.DISCOVERING,
    (M.SYNCING, S.UPLOAD_DONE): M.ONLINE,
    (M.SYNCING, S.UPLOAD_INTERRUPTED): M.AUTONOMOUS,
    (M.SYNCING, S.SERVER_LOST): M.AUTONOMOUS,
    (M.AUTONOMOUS, S.SERVER_BACK): M.ASK_UPLOAD,
    (M.AUTONOMOUS, S.UPLOAD_NOW): M.SYNCING,
}


def step(mode: Mode, signal: Signal) -> Mode | None:
    """The next mode, or None when the signal means nothing in this mode."""
    return TRANSITIONS.get((mode, signal))


#: modes in which a sale is rung up against the server
SERVER_MODES = frozenset({Mode.ONLINE, Mode.SYNCING})
#: modes in which the cashier must answer before selling on
ASKING_MODES = frozenset({Mode.ASK_AUTONOMOUS, Mode.ASK_UPLOAD})


def reaches_server(mode: Mode, answers: bool) -> bool:
    """Whether what needs the server but not the upload goes to it now: a new article,
    a kitchen ticket, today's changes of the catalogue. Online and syncing; and
    autonomous while the server answers again after the cashier put the upload off
    ("later"). Sales are not among them: autonomous, every sale waits in the outbox
    for the cashier's upload, which sends each one once."""
    return mode in SERVER_MODES or (mode is Mode.AUTONOMOUS and answers)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    choices: tuple[str, ...]
    consequences: dict[str, str]
    #: the technical reason, for the log and the integrator; the text stays plain
    reason: str = ""

    def fields(self, **extra: object) -> dict[str, object]:
        """The question as the fields of a "question" event."""
        return {
            "id": self.id,
            "text": self.text,
            "choices": list(self.choices),
            "consequences": dict(self.consequences),
            **({"reason": self.reason} if self.reason else {}),
            **extra,
        }


def ask_autonomous(reason: str, pending: int) -> Question:
    return Question(
        "go_autonomous",
        "The store server does not answer. Work in autonomous mode?",
        ("yes", "retry"),
        {
            "yes": "sell on last night's snapshot; sales stay on this till "
            f"({pending} waiting now) until the server is back and you send them; "
            "no article creation; kitchen and bar printers out of reach",
            "retry": "look for the server again; the sale on screen is kept",
        },
        reason=reason,
    )


def ask_upload(pending: int) -> Question:
    if pending:
        text = f"The store server is back. Send the {pending} sales waiting on this till now?"
    else:
        text = "The store server is back. Go back online now?"
    return Question(
        "send_sales",
        text,
        ("send", "later"),
        {
            "send": f"upload {pending} sales to the server, then work online",
            "later": "stay autonomous; the sales stay on this till; the question comes "
            "back at the next start, or send them any time with 'upload'",
        },
    )
