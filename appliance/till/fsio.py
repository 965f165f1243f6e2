"""The till's small files: a cursor alone in a file, checksummed lines of an append-only log.

Durable writes (atomic replace, fsync of a folder) are `appliance.system.files`.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

__all__ = ["checksum", "encode_line", "read_int", "split_line"]

log = logging.getLogger(__name__)


def read_int(path: Path, default: int = 0) -> int:
    """A whole number kept alone in a small file (a cursor); `default` when absent,
    and when damaged (not a number from 0): the cursors are written atomically, so
    only the disk damages them, and starting again from the default only sends
    again what the server already holds (it answers duplicates)."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return default
    text = raw.strip()
    if not text:
        return default
    if not text.isdigit() or len(text) > 19:
        name = Path(path).name
        log.warning("%s is damaged (%r): starting again from %d", name, raw[:40], default)
        return default
    return int(text)


def checksum(payload: bytes) -> bytes:
    """First 16 hex digits of the payload's sha256, as ASCII bytes."""
    return hashlib.sha256(payload).hexdigest()[:16].encode("ascii")


def encode_line(payload: bytes) -> bytes:
    """`<checksum> <payload>\\n`: one record of an append-only log."""
    if b"\n" in payload:
        raise ValueError("a log payload must fit on one line")
    return checksum(payload) + b" " + payload + b"\n"


def split_line(line: bytes) -> bytes | None:
    """The payload of a complete line (newline removed), or None if its checksum is wrong."""
    if len(line) < 18 or line[16:17] != b" ":
        return None
    payload = line[17:]
    if checksum(payload) != line[:16]:
        return None
    return payload
