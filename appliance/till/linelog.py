"""An append-only file of checksummed lines, fsync'd one line at a time.

The outbox and the events log are both made of it. Reading it back on open
tells apart the three things a file can hold after a power cut or a bad disk:
good lines, a torn last line (no newline: its write never completed, so it was
never acknowledged: cut away) and a whole line that does not check, wherever
it stands (it may have been acknowledged: kept aside, never dropped).
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from appliance.system.files import fsync_dir

from .fsio import encode_line, split_line

__all__ = ["LineLog", "LogScan", "LogWriteError", "scan_log"]


class LogWriteError(OSError):
    """A line could not be made durable; nothing of it is left in the file."""


@dataclass
class LogScan:
    #: (offset, length with newline, payload) of each good line, in file order
    good: list[tuple[int, int, bytes]] = field(default_factory=list)
    #: (offset, raw text) of whole lines that do not check
    bad: list[tuple[int, bytes]] = field(default_factory=list)
    #: bytes of a torn last line (no newline), cut away by `LineLog.open`
    torn: bytes = b""
    #: where the good part of the file ends
    end: int = 0


def scan_log(data: bytes) -> LogScan:
    out = LogScan()
    pos = 0
    size = len(data)
    while pos < size:
        nl = data.find(b"\n", pos)
        if nl < 0:  # no newline: the write was cut
            out.torn = data[pos:]
            break
        line = data[pos:nl]
        payload = split_line(line)
        if payload is not None:
            out.good.append((pos, nl + 1 - pos, payload))
        else:
            # A whole line (its newline was written last) that does not check:
            # damaged on disk, perhaps after it was acknowledged. Kept aside and
            # sent to the server's quarantine, never dropped, even at the end.
            out.bad.append((pos, line))
        pos = nl + 1
    out.end = pos
    return out


class LineLog:
    """One file opened O_APPEND; `append` is one write and one fsync."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self.size = 0

    def open(self) -> LogScan:
        """Open (creating it durably if needed), read back, cut a torn tail."""
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        if created:
            os.fsync(fd)
            fsync_dir(self.path.parent)
        with open(self.path, "rb") as f:
            data = f.read()
        found = scan_log(data)
        if found.end < len(data):
            os.ftruncate(fd, found.end)
            os.fsync(fd)
        self._fd = fd
        self.size = found.end
        return found

    def append(self, payload: bytes) -> tuple[int, int]:
        """Write one line durably; (offset, length). Raises LogWriteError, leaving no trace."""
        if self._fd is None:
            raise LogWriteError(errno.EBADF, f"{self.path.name} is not open")
        line = encode_line(payload)
        offset = self.size
        try:
            written = os.write(self._fd, line)
            if written != len(line):
                raise OSError(errno.ENOSPC, "short write (disk full?)")
            os.fsync(self._fd)
        except OSError as e:
            self._cut_back(offset)
            raise LogWriteError(e.errno or errno.EIO, f"cannot write {self.path.name}: {e}") from e
        self.size = offset + len(line)
        return offset, len(line)

    def _cut_back(self, offset: int) -> None:
        try:
            os.ftruncate(self._fd, offset)  # type: ignore[arg-type]
            os.fsync(self._fd)  # type: ignore[arg-type]
        except OSError:
            pass  # the scan on next open cuts a torn tail anyway

    def read(self, offset: int, length: int) -> bytes:
        """The payload of the line at `offset` (checksum and newline removed)."""
        if self._fd is None:
            raise LogWriteError(errno.EBADF, f"{self.path.name} is not open")
        line = os.pread(self._fd, length, offset)
        return line[17:-1]

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
