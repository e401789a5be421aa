"""`/docs` (Swagger UI) and `/redoc` with their assets served from here, never a CDN.

The pages run on the same origin as the staff token, so their scripts must be ours: the
assets ship in the `fastapi-offline` package and the inline bootstrap gets the page's nonce.
`API_DOCS=false` turns both off.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse

from bot.web.security import page_csp, with_nonce

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/docs-assets"

router = APIRouter(include_in_schema=False)


def _with_policy(response: HTMLResponse) -> HTMLResponse:
    nonce = secrets.token_urlsafe(18)
    body = with_nonce(bytes(response.body).decode("utf-8"), nonce)
    return HTMLResponse(body, headers={"Content-Security-Policy": page_csp(nonce, docs=True)})


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return _with_policy(
        get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Omnibot API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )
    )


@router.get("/docs/oauth2-redirect")
async def swagger_ui_redirect() -> HTMLResponse:
    return _with_policy(get_swagger_ui_oauth2_redirect_html())


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return _with_policy(
        get_redoc_html(
            openapi_url="/openapi.json",
            title="Omnibot API",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
    )
