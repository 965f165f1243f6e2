"""Durable files, the one way both roles write them.

A write is whole or absent: every byte is written (a short write goes on
where it stopped), the file is fsync'd, and a rename is made durable by an
fsync of its folder. An OSError (disk full, I/O error) leaves the file that
was there untouched and no temp file behind, so that half a file never keeps
the space that is missing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "create_once", "fsync_dir", "write_fsynced"]


def fsync_dir(folder: Path) -> None:
    """Make a file's creation or rename in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_fsynced(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Create (or truncate) `path`, write all of `data`, fsync it. On OSError the
    file is removed and the error raised."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def _temp(path: Path, shared: bool) -> Path:
    # A file that several processes may write at once (the server and its CLI) gets
    # one temp file per process; otherwise one name, so a temp file left by a crash
    # is reused rather than left to pile up.
    return path.with_name(f".{path.name}.{os.getpid()}.tmp" if shared else f".{path.name}.tmp")


def atomic_write(path: Path, data: bytes, mode: int = 0o644, *, shared: bool = False) -> None:
    """Replace `path` with `data`: temp file, fsync, rename, fsync the folder.
    `shared`: other processes may replace the same file at the same time."""
    path = Path(path)
    tmp = _temp(path, shared)
    write_fsynced(tmp, data, mode)
    try:
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def create_once(path: Path, make: Callable[[], bytes], mode: int = 0o644) -> None:
    """Write `make()` to `path` unless it exists: a complete temp file hard-linked into
    place, so two processes racing keep the first one's bytes and nobody reads half a
    file."""
    path = Path(path)
    if path.exists():
        return
    tmp = _temp(path, shared=True)
    write_fsynced(tmp, make(), mode)
    try:
        os.link(tmp, path)  # fails if another process made one meanwhile
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    fsync_dir(path.parent)
