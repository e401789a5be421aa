"""The operator console's layout in a real browser: no empty band where no message is."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from bot.auth import create_user
from tests.conftest import LiveServer, make_settings


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(make_settings(tmp_path))
    live.start()

    async def add_operator() -> None:
        async with live.app.state.core.sessions() as s:
            await create_user(s, "ola@shop.pl", "correct horse", "operator")

    asyncio.run_coroutine_threadsafe(add_operator(), live.app.state.runtime.core.loop).result(10)
    yield live
    live.stop()


def test_a_tab_starts_under_the_tabs_until_there_is_something_to_say(
    browser: Browser, server: LiveServer
) -> None:
    console = browser.new_page(viewport={"width": 1366, "height": 860})
    console.goto(f"{server.url}/admin")
    console.fill("#email", "ola@shop.pl")
    console.fill("#password", "correct horse")
    console.click("#login button[type=submit]")
    expect(console.locator("#who")).to_contain_text("operator")
    console.get_by_role("tab", name="FAQ").click()
    search = console.locator("#faq-q")
    expect(search).to_be_visible()

    tabs_end = console.locator("nav[role=tablist]").bounding_box()
    search_box = search.bounding_box()
    assert tabs_end and search_box
    # The tab's own padding (1rem) and no more: the empty error and "saved" lines take no room.
    assert search_box["y"] - (tabs_end["y"] + tabs_end["height"]) <= 20

    # A message still shows where they are.
    console.evaluate("document.getElementById('error').textContent = 'Something went wrong'")
    assert (console.locator("#error").bounding_box() or {"height": 0})["height"] > 0
