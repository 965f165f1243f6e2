"""The manager's back office at /admin/: server-rendered pages (Jinja2), in French
and English, served by the store server over its own HTTPS.

`install(app)` mounts it; importing it does nothing else."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["install"]


def install(app: FastAPI) -> None:
    from . import api, pages_articles, pages_ops, pages_people
    from .editing import ensure_indexes
    from .web import BASE, HERE, LoginNeeded, Office, login_needed

    app.state.office = Office()
    ensure_indexes(app.state.shop.store)
    for module in (pages_articles, pages_people, pages_ops):
        app.include_router(module.router, prefix=BASE)
    app.include_router(api.router, prefix=BASE, include_in_schema=False)
    app.mount(f"{BASE}/static", StaticFiles(directory=HERE / "static"), name="office-static")
    app.add_exception_handler(LoginNeeded, login_needed)

    @app.get(f"{BASE}/api/openapi.json", include_in_schema=False)
    def office_openapi(request: Request) -> JSONResponse:
        return JSONResponse(api.openapi_schema(request.app))
