"""`/docs` (Swagger UI) and `/redoc` with their assets served from here, never a CDN.

The pages run on the same origin as the staff token, so their scripts must be ours: the
assets ship in the `fastapi-offline` package (pinned in the lock files) and the inline
bootstrap and styles get the page's nonce; nothing inline runs without it.
`API_DOCS=false` turns both off.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
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


REDOC_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Omnibot API</title>
<link rel="shortcut icon" href="{assets}/favicon.png">
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<div id="redoc"></div>
<script src="{assets}/redoc.standalone.js"></script>
<script>
  // ReDoc gives the <style> elements it creates this nonce: no style needs 'unsafe-inline'.
  const options = {{ nonce: document.currentScript.nonce }};
  Redoc.init("/openapi.json", options, document.getElementById("redoc"));
</script>
</body>
</html>
"""


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return _with_policy(HTMLResponse(REDOC_PAGE.format(assets=ASSETS_URL)))
