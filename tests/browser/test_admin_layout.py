"""The operator console's layout in a real browser: no empty band where no message is."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import OPERATOR
from tests.conftest import LiveServer


def test_a_tab_starts_under_the_tabs_until_there_is_something_to_say(
    browser: Browser, operator_server: LiveServer
) -> None:
    console = browser.new_page(viewport={"width": 1366, "height": 860})
    console.goto(f"{operator_server.url}/admin")
    console.fill("#email", OPERATOR[0])
    console.fill("#password", OPERATOR[1])
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
