"""`autonome server backup`: a copy of a server's data folder, consistent while it runs.

The journal database is copied with SQLite's online backup API, in one read
transaction: a consistent copy of everything committed when it began, taken
while the server goes on selling (WAL readers never stop a writer). Then the
other files of the folder: `server.json`, `admin.token`, `signing.key` (and
any other key or setting kept beside them), and the snapshot files the copied
database names. Logs and temp files stay behind. The copy is written to
`.<OUT>.partial`, fsync'd, then renamed to OUT: a backup cut short is never
mistaken for a whole one.

Restore (docs/architecture.md): stop the server, put the backup folder in
place of the data folder, start it. The tills then send again what the
restored journal lacks (`contiguous_seq` in /health).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from appliance.system.files import fsync_dir

from .config import DataDir

__all__ = ["BackupError", "backup"]

#: the database's own files, copied through the backup API, never as files
DB_FILES = ("server.db", "server.db-wal", "server.db-shm", "server.db-journal")


class BackupError(RuntimeError):
    """A backup that cannot be made (no such server, a database that is not SQLite...)."""


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(Path(folder) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(folder))


def _skipped(name: str) -> bool:
    return name in DB_FILES or name.startswith(".") or name.endswith((".log", ".tmp"))


def backup(data_dir: Path | str, out: Path | str) -> dict[str, Any]:
    """Back the server's data folder up into the new folder `out`; what was copied."""
    data = DataDir(data_dir)
    out = Path(out)
    if not data.exists():
        raise BackupError(f"{data.root} holds no store server (server.json, server.db)")
    if data.db_url != str(data.db):
        raise BackupError("the journal is not the SQLite file: back its database up with its tools")
    if out.exists():
        raise BackupError(f"{out} exists already: a backup goes to a new folder")
    partial = out.with_name(f".{out.name}.partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        found = _copy(data, partial)
        _fsync_tree(partial)
        os.replace(partial, out)
        fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return found


def _copy(data: DataDir, into: Path) -> dict[str, Any]:
    # 1. the journal, as one consistent read of the live database
    src = sqlite3.connect(f"file:{data.db}?mode=ro", uri=True, timeout=15)
    try:
        dst = sqlite3.connect(into / "server.db")
        try:
            src.backup(dst)  # all pages in one step: one read transaction
            tills = dst.execute("SELECT count(*) FROM tills").fetchone()[0]
            sales = dst.execute("SELECT count(*) FROM sales").fetchone()[0]
            kept = dst.execute("SELECT version, file FROM snapshots ORDER BY version").fetchall()
        finally:
            dst.close()
    finally:
        src.close()
    # 2. keys, settings, and any other file beside them
    files = []
    for item in sorted(data.root.iterdir()):
        if _skipped(item.name) or item.name == data.snapshots.name:
            continue
        if item.is_dir():
            shutil.copytree(item, into / item.name, ignore=shutil.ignore_patterns(".*"))
        elif item.is_file():
            shutil.copy2(item, into / item.name)  # the mode too: 0600 for the keys
        files.append(item.name)
    # 3. the snapshot files the copied journal names
    (into / data.snapshots.name).mkdir()
    snapshots, missing = [], []
    for version, name in kept:
        try:
            shutil.copy2(data.snapshots / name, into / data.snapshots.name / name)
            snapshots.append(int(version))
        except FileNotFoundError:  # an old one, pruned by a build since: not served
            missing.append(int(version))
    return {
        "sales": int(sales),
        "tills": int(tills),
        "files": files,
        "snapshots": snapshots,
        "missing_snapshots": missing,
    }
