"""The FastAPI application of the store server: `create_app(config)`.

Creating the app opens the database; the lifespan starts what runs beside
the requests (the clock thread of the nightly snapshot, the mDNS advert, the
kitchen and bar print spooler) and stops it cleanly. Importing this module does nothing.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from appliance.protocol import API_PREFIX, MAX_BODY

from . import api_admin, api_deltas, api_tables, api_tills, backoffice, openapi
from .advert import Advert
from .bootstrap import open_data
from .committer import WalCheckpoints
from .config import ServerConfig, parse_hhmm
from .errors import BodyLimit, install_error_handlers
from .nightly import Nightly
from .sale_route import SalePut
from .shop import Shop
from .spooler import PrintSettings, TcpSpooler

__all__ = ["create_app"]

log = logging.getLogger("autonome.server")


def _start_advert(shop: Shop) -> None:
    try:
        assert shop.advert is not None
        shop.advert.start()
    except Exception:
        log.exception("mDNS advertisement failed; tills can still use the server's URL")


class StoreApp(FastAPI):
    """The FastAPI app, with the online sale (PUT /sales/{id}) answered in front of it
    by `sale_route.SalePut`, without the framework's per-request work."""

    sale_put: SalePut | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast = self.sale_put
        if fast is not None and fast.takes(scope):
            await fast(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(config: ServerConfig) -> FastAPI:
    data, store, settings = open_data(config.data)
    try:
        print_settings = PrintSettings.from_settings(settings)
    except ValueError:
        store.close()
        raise
    spooler = TcpSpooler(store, print_settings)
    shop = Shop(
        config=config,
        data=data,
        store=store,
        server_id=str(settings["server_id"]),
        admin_token=data.ensure_admin_token(),
        tls_fingerprint=data.tls_fingerprint(),
        spooler=spooler,
    )
    at = parse_hhmm(config.snapshot_at)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        version = shop.latest_version()
        shop.nightly = Nightly(
            at, shop.build_snapshot, shop.latest_version, shop.announce, tick=config.tick_s
        )
        if config.mdns:
            shop.advert = Advert(
                shop.server_id,
                config.port,
                host=config.host,
                interfaces=config.mdns_interfaces,
                snapshot_version=version,
            )
            # Registering probes the network for ~2 s: do not hold up the start.
            threading.Thread(
                target=_start_advert, args=(shop,), name="autonome-mdns", daemon=True
            ).start()
        shop.nightly.start(announced=version)
        checkpoints = WalCheckpoints(shop.store)
        checkpoints.start()
        # kitchen and bar tickets: one worker per printer (recovers the last run first)
        await asyncio.to_thread(spooler.start)
        # What is loaded by now lives as long as the server: out of the cyclic GC's
        # sight, so a full collection walks only what came since (not ~50 ms of
        # startup objects under a sale).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            shop.nightly.stop()
            await asyncio.to_thread(spooler.stop)
            checkpoints.stop()
            if shop.advert is not None:
                await asyncio.to_thread(shop.advert.stop)
            await asyncio.to_thread(shop.close)

    app = StoreApp(
        title="Autonome store server",
        version="1",
        lifespan=lifespan,
        docs_url=f"{API_PREFIX}/docs",
        openapi_url=f"{API_PREFIX}/openapi.json",
        redoc_url=None,
    )
    app.state.shop = shop
    install_error_handlers(app)
    openapi.install(app)
    app.include_router(api_tills.router, prefix=API_PREFIX)
    app.include_router(api_admin.router, prefix=API_PREFIX)
    app.include_router(api_deltas.router, prefix=API_PREFIX)
    app.include_router(api_tables.router, prefix=API_PREFIX)
    backoffice.install(app)
    app.add_middleware(BodyLimit, limit=MAX_BODY)
    app.sale_put = SalePut(shop, MAX_BODY)
    return app
