"""Every response carries the security headers; pages a strict, nonce-based CSP."""

from __future__ import annotations

import re

import httpx

from bot.web.docs import ASSETS

PAGES = ["/", "/agent", "/admin", "/orders", "/docs", "/redoc"]


async def test_pages_have_a_strict_policy_with_a_fresh_nonce(client: httpx.AsyncClient) -> None:
    for path in PAGES:
        r = await client.get(path)
        assert r.status_code == 200, path
        csp = r.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)  # type: ignore[union-attr]
        assert directives["script-src"] == f"'self' 'nonce-{nonce}'", path  # nothing inline else
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        assert directives["base-uri"] == "'none'"
        scripts = re.findall(r"<script[^>]*>", r.text)
        assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), path
        assert not re.search(r"\son[a-z]+=", r.text), path  # no inline event handlers
        assert "https://" not in " ".join(re.findall(r'(?:src|href)="[^"]*"', r.text)), path
        again = (await client.get(path)).headers["Content-Security-Policy"]
        assert again != csp  # a nonce per response
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "'unsafe-inline'" not in csp, path  # /docs and /redoc included


async def test_api_answers_and_assets_carry_the_headers(client: httpx.AsyncClient) -> None:
    for r in [
        await client.get("/healthz"),
        await client.post("/api/webchat/sessions"),
        await client.get("/api/agent/conversations"),  # 401
        await client.get("/widget.js"),
        await client.get("/docs-assets/swagger-ui-bundle.js"),
    ]:
        assert r.headers["X-Content-Type-Options"] == "nosniff", r.url
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert (ASSETS / "swagger-ui-bundle.js").stat().st_size > 100_000  # really served from here


async def test_docs_can_be_turned_off(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings, running_app

    async with running_app(make_settings(tmp_path, api_docs=False)) as (_app, client):
        for path in ("/docs", "/redoc", "/docs-assets/swagger-ui-bundle.js"):
            assert (await client.get(path)).status_code == 404
        assert (await client.get("/openapi.json")).status_code == 200


async def test_the_widget_may_call_the_api_from_the_shop_s_own_site(
    client: httpx.AsyncClient,
) -> None:
    """The widget runs on the shop's pages (another origin): CORS lets it send, read the
    request id, and ask first (preflight) for JSON bodies; other methods are refused."""
    shop = {"Origin": "https://pizzeria.example"}
    r = await client.post("/api/webchat/sessions", headers=shop)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Access-Control-Expose-Headers"] == "X-Request-ID"
    assert r.headers["Vary"] == "Origin"
    assert r.headers["X-Request-ID"] and r.headers["X-Content-Type-Options"] == "nosniff"
    same_site = await client.get("/healthz")  # no Origin: nothing to allow
    assert "Access-Control-Allow-Origin" not in same_site.headers
    asks = {
        **shop,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-request-id",
    }
    preflight = await client.options("/api/webchat/messages", headers=asks)
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "x-request-id" in preflight.headers["Access-Control-Allow-Headers"].lower()
    refused = await client.options(
        "/api/webchat/messages", headers={**shop, "Access-Control-Request-Method": "DELETE"}
    )
    assert refused.status_code == 400
    assert "Access-Control-Allow-Methods" in refused.headers  # the browser sees what is allowed


async def test_every_page_has_an_icon_that_loads(client: httpx.AsyncClient) -> None:
    """Browsers ask for an icon on every page: none of them gets a 404 in the console."""
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    for path in PAGES:
        page = (await client.get(path)).text
        links = re.findall(r'<link rel="(?:shortcut )?icon" href="([^"]+)"', page)
        assert links, path
        for href in links:
            assert (await client.get(href)).status_code == 200, (path, href)
