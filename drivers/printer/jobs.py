"""Print jobs: checked before, acknowledged after, never sent twice.

`ReceiptPrinter.print(job_id, document)`:

1. renders the document (a bad document fails here, before any I/O);
2. reads the status: a printer unreachable, not answering, offline, with its
   cover open or out of paper gets nothing, and the job stays `not_printed`
   with the message for the cashier; `retry` (or printing the same job id
   again) sends it later. The sale itself is already safe in the outbox: a
   failed print loses nothing;
3. sends the bytes, then reads the status again: a printer answers after what
   came before, so an answer with no paper problem is the acknowledgement.
   The job is `printed`. If the bytes went out only in part, or the printer
   stopped answering, or paper ran out meanwhile, the job is `uncertain`: it
   may have printed, so it is never sent again by itself; the cashier looks
   and uses "reprint last", which prints a copy marked DUPLICATA.

A job id that was printed (or is uncertain) is never printed again by
`print` or `retry`: asking again answers what happened, with `repeated`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from .document import Document
from .link import PrinterLink
from .render import PAPER_80MM, Paper, render
from .status import MESSAGES, PrinterStatus
from .transports import PrinterError

PRINTED, NOT_PRINTED, UNCERTAIN = "printed", "not_printed", "uncertain"
MESSAGES_JOB = {
    "maybe_incomplete": "The receipt may be incomplete: check it, and reprint it if needed.",
    "unknown_job": "There is no such print job.",
    "nothing_printed_yet": "No receipt has been printed yet.",
}


@dataclass(frozen=True)
class PrintResult:
    job_id: str
    state: str  # printed | not_printed | uncertain
    problems: tuple[str, ...] = ()
    message: str = ""  # for the cashier; a warning (paper low) even when printed
    status: PrinterStatus | None = None
    repeated: bool = False  # this job was already handled; nothing was sent now

    @property
    def printed(self) -> bool:
        return self.state == PRINTED


@dataclass
class _Job:
    job_id: str
    document: Document
    data: bytes
    result: PrintResult | None = field(default=None)
    is_copy: bool = False


def _say(codes: list[str]) -> str:
    return " ".join(MESSAGES.get(c) or MESSAGES_JOB[c] for c in codes)


class ReceiptPrinter:
    def __init__(self, link: PrinterLink, paper: Paper = PAPER_80MM, keep: int = 100) -> None:
        self.link = link
        self.paper = paper
        self.keep = keep
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._last: str | None = None
        self._copies: dict[str, int] = {}
        self._lock = threading.Lock()

    def status(self) -> PrinterStatus:
        return self.link.status()

    def pending(self) -> list[str]:
        """Jobs not printed yet, oldest first."""
        with self._lock:
            return [
                j.job_id for j in self._jobs.values() if j.result and j.result.state == NOT_PRINTED
            ]

    def print(self, job_id: str, document: Document) -> PrintResult:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.result is not None and job.result.state != NOT_PRINTED:
                return _repeat(job.result)
            if job is None:
                job = _Job(job_id, document, render(document, self.paper))
                self._jobs[job_id] = job
            return self._run(job)

    def retry(self, job_id: str) -> PrintResult:
        """Send a job that was not printed; a printed or uncertain one is not sent again."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return PrintResult(job_id, NOT_PRINTED, ("unknown_job",), _say(["unknown_job"]))
            if job.result is not None and job.result.state != NOT_PRINTED:
                return _repeat(job.result)
            return self._run(job)

    def reprint_last(self, banner: str = "DUPLICATA") -> PrintResult:
        """The last receipt that went out, again, under a banner saying it is a copy."""
        with self._lock:
            if self._last is None:
                return PrintResult("", NOT_PRINTED, ("nothing_printed_yet",),
                                   _say(["nothing_printed_yet"]))  # fmt: skip
            last = self._jobs[self._last]
            self._copies[last.job_id] = n = self._copies.get(last.job_id, 0) + 1
            copy_id = f"{last.job_id}/copy-{n}"
            doc = last.document.with_banner(banner)
            job = _Job(copy_id, doc, render(doc, self.paper), is_copy=True)
            self._jobs[copy_id] = job
            return self._run(job)

    def _run(self, job: _Job) -> PrintResult:
        try:
            before = self.link.status()
        except PrinterError as e:
            return self._done(job, NOT_PRINTED, [e.code])
        if not before.can_print:
            return self._done(job, NOT_PRINTED, before.problems, before)
        try:
            self.link.send(job.data)
        except PrinterError as e:
            if e.sent == 0:
                return self._done(job, NOT_PRINTED, [e.code])
            return self._done(job, UNCERTAIN, [e.code, "maybe_incomplete"], went_out=True)
        try:
            after = self.link.status(reconnect=False)  # on the connection the job went by
        except PrinterError as e:
            return self._done(job, UNCERTAIN, [e.code, "maybe_incomplete"], went_out=True)
        if not after.can_print:
            problems = [*after.problems, "maybe_incomplete"]
            return self._done(job, UNCERTAIN, problems, after, went_out=True)
        return self._done(job, PRINTED, after.problems, after, went_out=True)

    def _done(
        self,
        job: _Job,
        state: str,
        problems: list[str],
        status: PrinterStatus | None = None,
        went_out: bool = False,
    ) -> PrintResult:
        job.result = PrintResult(job.job_id, state, tuple(problems), _say(problems), status)
        if went_out and not job.is_copy:
            self._last = job.job_id
        self._trim()
        return job.result

    def _trim(self) -> None:
        while len(self._jobs) > self.keep:
            for key, j in self._jobs.items():
                if key != self._last and j.result is not None and j.result.state != NOT_PRINTED:
                    del self._jobs[key]
                    break
            else:
                return


def _repeat(result: PrintResult) -> PrintResult:
    return PrintResult(result.job_id, result.state, result.problems, result.message,
                       result.status, repeated=True)  # fmt: skip
