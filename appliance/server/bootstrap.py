"""Creating and opening a server data folder."""

from __future__ import annotations

from pathlib import Path

from .catalogue import CatalogueData, load_catalogue
from .config import DataDir, new_server_id, valid_server_id
from .snapshot import sign_unsigned_snapshots
from .storage import Store, now_iso, open_store

__all__ = ["AlreadyInitialised", "init_data_dir", "open_data"]


class AlreadyInitialised(Exception):
    pass


def init_data_dir(
    root: Path | str,
    *,
    server_id: str | None = None,
    catalogue: CatalogueData | None = None,
    snapshot_at: str = "23:30",
) -> DataDir:
    """server.json, admin.token, signing.key and tls.key (0600), tls.crt, server.db with
    its schema, and a catalogue."""
    data = DataDir(root)
    if data.settings.exists():
        raise AlreadyInitialised(f"{data.root} already holds a server ({data.settings.name})")
    server_id = server_id or new_server_id()
    if not valid_server_id(server_id):
        raise ValueError(f"a server id is letters, digits and '-' (got {server_id!r})")
    data.root.mkdir(parents=True, exist_ok=True)
    data.snapshots.mkdir(exist_ok=True)
    data.ensure_admin_token()
    data.signing_key()
    data.tls_certificate(server_id)
    store = open_store(data.db)
    try:
        with store.write() as conn:
            store.set_meta(conn, "server_id", server_id)
            store.set_meta(conn, "created_at", now_iso())
        if catalogue is not None:
            load_catalogue(store, catalogue)
    finally:
        store.close()
    # server.json last: its presence says the folder is complete.
    data.write_settings({"server_id": server_id, "snapshot_at": snapshot_at, "keep_snapshots": 3})
    return data


def open_data(root: Path | str) -> tuple[DataDir, Store, dict]:
    """An initialised data folder: (folder, store, settings).

    A folder from before snapshots were signed is brought up to date here: its
    `signing.key` is made, the `signature` column added (`open_store`), and the
    snapshots it keeps are signed. One from before TLS gets its `tls.key` and
    `tls.crt`.
    """
    data = DataDir(root)
    if not data.settings.exists():
        raise FileNotFoundError(
            f"{data.root} is not a server data folder (run `autonome server init --data {root}`)"
        )
    settings = data.read_settings()
    data.signing_key()
    data.tls_certificate(str(settings["server_id"]))
    store = open_store(data.db_url)
    try:
        sign_unsigned_snapshots(store, data)
    except BaseException:
        store.close()
        raise
    return data, store, settings
