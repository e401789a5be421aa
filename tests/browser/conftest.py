"""Browser tests: a real `python -m bot run` server and Debian's chromium through Playwright.

Set OMNIBOT_BROWSER_BASE_URL to test an already running server instead of starting one,
and OMNIBOT_SCREENSHOT_DIR to keep screenshots of what the tests saw.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import LiveServer, make_settings

from .chat_widget import ChatWidget

CHROMIUM = os.environ.get("OMNIBOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT_S = 60

if not Path(CHROMIUM).exists():
    if os.environ.get("OMNIBOT_REQUIRE_SERVICES") == "1":
        raise RuntimeError(f"chromium is required but not found at {CHROMIUM}")
    # Like the other services: skipped here, required with OMNIBOT_REQUIRE_SERVICES=1.
    no_services = f"no chromium at {CHROMIUM} (apt-get install chromium)"
    pytest.skip(no_services, allow_module_level=True)

expect.set_options(timeout=10_000)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(base_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"server exited with {server.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"server not healthy after {SERVER_START_TIMEOUT_S}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a real Omnibot server on a fresh data dir, stopped after the session."""
    if external := os.environ.get("OMNIBOT_BROWSER_BASE_URL"):
        yield external.rstrip("/")
        return
    data_dir = tmp_path_factory.mktemp("omnibot-data")
    port = _free_port()
    env = {
        **os.environ,
        "OMNIBOT_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "NLU_BACKEND": "keywords",
    }
    log = data_dir / "server.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # One Chromium for the browser tests (a launch, and Playwright's driver, cost seconds),
    # each test in contexts of its own (closed after it: `close_contexts`). Package scope:
    # the sync API keeps an event loop running in this thread until it stops, which would
    # break the asyncio tests that run after this package.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def close_contexts(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every browser context a test opened (its pages, cookies, storage) ends with the test:
    the next test starts with none, and no page of it keeps running against a server that
    has stopped."""
    yield
    if "browser" in request.fixturenames:
        browser: Browser = request.getfixturevalue("browser")
        for context in browser.contexts:
            context.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh browser profile (empty localStorage) with a Polish UI."""
    context = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


@pytest.fixture
def chat(page: Page, base_url: str) -> ChatWidget:
    return ChatWidget(page, base_url)


@pytest.fixture
def partner_site(base_url: str) -> Iterator[str]:
    """Another site (another origin) that embeds the widget from the Omnibot server."""
    page_html = (
        "<!doctype html><html><head><title>Partner</title></head><body><h1>Partner shop</h1>"
        f'<script src="{base_url}/widget.js" data-lang="en" data-title="Partner chat">'
        "</script></body></html>"
    ).encode()

    class PartnerPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page_html)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), PartnerPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # "localhost" is another origin than the API's 127.0.0.1, yet both are loopback, so
    # Chrome's local network access rules do not get in the way.
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


OPERATOR = ("ola@shop.pl", "correct horse")


@pytest.fixture
def operator_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own (keyword NLU) with an operator, OPERATOR, who may log in."""
    import asyncio

    from bot.auth import create_user

    live = LiveServer(make_settings(tmp_path))
    live.start()

    async def add_operator() -> None:
        async with live.app.state.core.sessions() as s:
            await create_user(s, *OPERATOR, "operator")

    asyncio.run_coroutine_threadsafe(add_operator(), live.app.state.runtime.core.loop).result(10)
    yield live
    live.stop()
