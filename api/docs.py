"""/docs (Swagger UI) and /redoc, with their scripts, styles and icon served by the API itself
from the files that the fastapi-offline package ships: the pages load nothing from any other
host (FastAPI's own pages load them from a CDN, and ReDoc's fonts from Google)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS, REDOC = "/docs", "/redoc"
ASSETS = "/docs/assets"
FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")
# The pages' own requests go to this server only (ReDoc's sidebar would fetch a logo from its
# maker's CDN; Swagger UI could ask an online validator); scripts and styles stay as they are.
POLICY = "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"


def add_docs(api: FastAPI) -> frozenset[str]:
    """Serve the two pages and their files on `api` (created with `docs_url=None` and
    `redoc_url=None`); return their paths, which answer without a token."""
    api.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")

    @api.get(DOCS, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        page = get_swagger_ui_html(
            openapi_url=f"{root}{api.openapi_url}",
            title=f"{api.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            oauth2_redirect_url=None,  # bearer tokens only: no OAuth2 flow to return from
            swagger_ui_parameters={"validatorUrl": None},
        )
        return _guarded(page)

    @api.get(REDOC, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        page = get_redoc_html(
            openapi_url=f"{root}{api.openapi_url}",
            title=f"{api.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        return _guarded(page)

    return frozenset({DOCS, REDOC, *(f"{ASSETS}/{name}" for name in FILES)})


def _root(request: Request) -> str:
    """The prefix a reverse proxy serves the API under (uvicorn's --root-path), if any."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def _guarded(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = POLICY
    return page
