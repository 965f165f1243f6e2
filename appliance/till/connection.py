"""The till's connection to its server: the address known now and its one client.

`api()` is the client of that address (`ports.ServerApi`; made on first use,
kept alive: one TLS handshake a connection, not a request); `use(url)` moves
to another address (found by a probe or mDNS) and remembers it in till.json.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .client import ServerClient, ServerError
from .config import TillConfig
from .ports import ServerApi

__all__ = ["Connection"]

log = logging.getLogger(__name__)


class Connection:
    def __init__(
        self,
        config: TillConfig,
        data_dir: Path,
        *,
        tls: Any,
        factory: Callable[..., ServerApi] = ServerClient,
    ) -> None:
        self.config = config
        self.data_dir = data_dir
        self.tls = tls
        self.factory = factory
        self.url: str | None = config.server_url
        self._client: ServerApi | None = None
        self._lock = threading.Lock()

    def api(self) -> ServerApi:
        with self._lock:
            if self._client is None:
                if not self.url:
                    raise ServerError("no_server", "no server address known yet")
                settings = self.config.settings
                self._client = self.factory(
                    self.url,
                    self.config.token,
                    tls=self.tls,
                    timeout=settings.request_timeout_s,
                    long_timeout=settings.upload_timeout_s,
                )
            return self._client

    def use(self, url: str) -> None:
        with self._lock:
            if url == self.url:
                return
            if self._client is not None:
                self._client.close()
                self._client = None
            self.url = url
        if self.config.server_url != url:
            self.config.server_url = url
            try:
                self.config.save(self.data_dir)
            except OSError as e:
                log.warning("cannot save the server address: %s", e)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
