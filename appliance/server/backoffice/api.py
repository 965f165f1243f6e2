"""The back office's JSON routes, for a page's script and for integrations: the
article list and one article, the tills' live status. Same session and CSRF
rules as the pages; their OpenAPI schema is at /admin/api/openapi.json."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ..shop import shop_of
from .editing import article_form, article_page
from .pages_people import till_status
from .web import secure, session_of

__all__ = ["openapi_schema", "router"]

router = APIRouter(prefix="/api")


class ArticleRow(BaseModel):
    article_id: str
    name: str
    price: int
    vat_bp: int
    vat: str
    category: str
    barcodes: list[str]


class ArticlePage(BaseModel):
    items: list[ArticleRow]
    total: int
    page: int
    pages: int
    more: bool


class Problem(BaseModel):
    error: str
    message: str


@router.get(
    "/articles",
    response_model=ArticlePage,
    responses={401: {"model": Problem}},
)
def api_articles(
    request: Request,
    q: str = Query("", max_length=200),
    page: int = Query(1, ge=1, le=100000),
    archived: bool = Query(False),
) -> Any:
    session_of(request)
    return secure(JSONResponse(article_page(shop_of(request).store, q, page, archived)))


@router.get(
    "/articles/{article_id}",
    responses={401: {"model": Problem}, 404: {"model": Problem}},
)
def api_article(request: Request, article_id: str) -> Any:
    session_of(request)
    found = article_form(shop_of(request).store, article_id)
    if found is None:
        body = {"error": "unknown_article", "message": f"there is no article {article_id}"}
        return secure(JSONResponse(body, 404))
    return secure(JSONResponse(found))


@router.get("/tills", responses={401: {"model": Problem}})
def api_tills(request: Request) -> Any:
    session_of(request)
    return secure(JSONResponse(till_status(request)))


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    cached = getattr(app.state, "office_openapi", None)
    if cached is None:
        # the router's own routes: mounted, they are left out of the API's schema
        cached = get_openapi(
            title="Autonome back office",
            version="1",
            routes=router.routes,
            servers=[{"url": "/admin"}],
        )
        cached["components"] = cached.get("components", {})
        cached["components"]["securitySchemes"] = {
            "session": {"type": "apiKey", "in": "cookie", "name": "autonome_admin"}
        }
        cached["security"] = [{"session": []}]
        app.state.office_openapi = cached
    return cached
