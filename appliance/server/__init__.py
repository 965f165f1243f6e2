"""The store server: HTTP API, storage, sales journal, snapshot builder, mDNS advert.

Nothing runs at import: `create_app(config)` builds the app, its lifespan
starts the clock thread and the advert; `cli.main` is `autonome server`.
"""

from .app import create_app
from .bootstrap import init_data_dir, open_data
from .config import DataDir, ServerConfig
from .ingest import Outcome, ingest, ingest_batch
from .snapshot import build_snapshot, latest_snapshot
from .storage import Store, open_store

__all__ = [
    "DataDir",
    "Outcome",
    "ServerConfig",
    "Store",
    "build_snapshot",
    "create_app",
    "ingest",
    "ingest_batch",
    "init_data_dir",
    "latest_snapshot",
    "open_data",
    "open_store",
]
