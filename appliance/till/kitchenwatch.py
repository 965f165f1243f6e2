"""What became of an order the server prints: the till follows the job and tells.

After `kitchen_sent`, a thread asks the server for the job
(`GET /print-jobs/{job_id}`) until every ticket has an end (printed, failed,
uncertain) or `FOLLOW_S` has passed, and publishes `kitchen_status` each time
what the cashier should know changes: "kitchen printer Cuisine is not
answering: the ticket went to Bar (backup)", "...: nothing printed, tell the
kitchen". `ok` is False when a ticket did not print or may be incomplete:
the screen shows it as a problem. The sale itself never waits for any of it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from .client import ServerError
from .ports import Api

__all__ = ["FOLLOW_S", "follow_job"]

log = logging.getLogger(__name__)

#: how long a job is followed (the spooler's retries and backup take ~10 s)
FOLLOW_S = 60.0
POLL_S = 0.5
ENDED = ("printed", "failed", "uncertain")


def follow_job(
    api: Api,
    publish: Callable[..., Any],
    stop: threading.Event,
    job_id: str,
    *,
    follow_s: float = FOLLOW_S,
) -> threading.Thread:
    """Start following `job_id` in a daemon thread (it ends with the till: `stop`). It
    asks the server (`api()`) and says `kitchen_status` (`publish`), nothing more."""
    thread = threading.Thread(
        target=_follow,
        args=(api, publish, stop, job_id, follow_s),
        name=f"kitchen-{job_id[:8]}",
        daemon=True,
    )
    thread.start()
    return thread


def _follow(
    api: Api, publish: Callable[..., Any], stop: threading.Event, job_id: str, follow_s: float
) -> None:
    deadline = time.monotonic() + follow_s
    said: tuple[str, str] | None = None
    while not stop.is_set():
        try:
            job = api().print_job_status(job_id)
        except ServerError as e:  # the link notices a lost server; here we only stop
            log.info("kitchen job %s: no answer (%s); not followed further", job_id, e)
            return
        except Exception:  # a server of another version: the order went, we only stop
            log.warning("kitchen job %s: its state cannot be read", job_id, exc_info=True)
            return
        if not isinstance(job, dict):
            return
        status, message = str(job.get("status", "")), str(job.get("message", ""))
        if (status, message) != said:
            said = (status, message)
            publish(
                "kitchen_status",
                job_id=job_id,
                status=status,
                message=message,
                ok=status not in ("failed", "uncertain"),
                ended=status in ENDED,
                printers=[
                    {k: d.get(k) for k in ("printer_id", "printer", "state", "sent_to")}
                    for d in job.get("deliveries", [])
                ],
            )
        if status in ENDED or time.monotonic() >= deadline:
            return
        stop.wait(POLL_S)
