"""The pages work in Chromium under their strict CSP, and so does the widget on a shop's site
that has a strict CSP of its own (the embedding README documents)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from .chat_widget import ChatWidget

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


def violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__csp"))


@pytest.fixture
def strict_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 800})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    yield page
    context.close()


def test_every_page_runs_under_its_policy(strict_page: Page, base_url: str) -> None:
    page = strict_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    chat = ChatWidget(page, base_url)
    chat.visit()
    page.locator("#open-chat").click()  # the hero button: no inline handler any more
    expect(chat.panel).to_be_visible()
    expect(chat.launcher).to_have_css("position", "fixed")  # the widget's styles applied
    chat.say("menu")
    expect(chat.messages("bot").first).to_be_visible()
    chat.screenshot("csp-shop")
    assert violations(page) == []

    for path in ("/agent", "/admin", "/orders"):
        page.goto(f"{base_url}{path}")
        expect(page.locator("#email")).to_be_visible()
        expect(page.locator("#email")).to_be_editable()
        assert violations(page) == [], path

    page.goto(f"{base_url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Omnibot")
    expect(page.locator(".opblock").first).to_be_visible()
    assert violations(page) == []
    page.goto(f"{base_url}/redoc")
    expect(page.get_by_text("/api/nlu/parse").first).to_be_attached()
    # ReDoc's footer shows its vendor's logo from their CDN: blocked, as it should be.
    assert [v for v in violations(page) if not v.startswith("img-src https://cdn.redoc.ly/")] == []
    assert errors == []


@pytest.fixture
def strict_partner_site(base_url: str) -> Iterator[str]:
    """A shop's own site with a strict CSP that allows exactly what README says."""
    origin = base_url
    host = urlsplit(base_url).netloc
    policy = (
        f"default-src 'self'; script-src 'self' {origin}; "
        f"connect-src 'self' {origin} ws://{host}; style-src 'self'; img-src 'self' data:"
    )
    page_html = (
        "<!doctype html><html><head><title>Partner</title></head><body><h1>Partner shop</h1>"
        f'<script src="{origin}/widget.js" data-lang="en" data-title="Partner chat">'
        "</script></body></html>"
    ).encode()

    class PartnerPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", policy)
            self.end_headers()
            self.wfile.write(page_html)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), PartnerPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_the_widget_works_on_a_shop_site_with_a_strict_csp(
    strict_page: Page, base_url: str, strict_partner_site: str
) -> None:
    chat = ChatWidget(strict_page, base_url)
    strict_page.goto(strict_partner_site)
    chat.open()
    expect(chat.launcher).to_have_css("position", "fixed")
    chat.say("hello")
    expect(chat.texts("customer")).to_have_text(["hello"])
    expect(chat.messages("bot").first).to_be_visible()
    chat.screenshot("csp-partner")
    assert violations(strict_page) == []
    assert chat.page_errors == []
