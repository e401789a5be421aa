"""The staff pages' login and logout: nothing on the login page that belongs to a logged-in
page, and a logout that leaves an empty form to type into."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import OPERATOR
from tests.conftest import LiveServer


def log_in(page: Page, url: str, path: str) -> None:
    page.goto(url + path)
    page.fill("#email", OPERATOR[0])
    page.fill("#password", OPERATOR[1])
    page.click("#login button[type=submit]")
    expect(page.locator("#logout")).to_be_visible()


def test_the_login_pages_show_no_status_badge_until_someone_is_logged_in(
    browser: Browser, operator_server: LiveServer
) -> None:
    page = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 800}).new_page()
    # The operator console: the content version it shows is a logged-in operator's business.
    page.goto(operator_server.url + "/admin")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#live")).to_be_hidden()
    log_in(page, operator_server.url, "/admin")
    expect(page.locator("#live")).to_have_text(re.compile(r"^na żywo: wersja \d+$"))
    page.click("#logout")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#live")).to_be_hidden()
    # The orders board: its connection state means nothing before a login.
    page.goto(operator_server.url + "/orders")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#link")).to_be_hidden()
    log_in(page, operator_server.url, "/orders")
    expect(page.locator("#link")).to_have_text("na żywo")
    page.click("#logout")
    expect(page.locator("#link")).to_be_hidden()
    page.context.close()


def test_a_logout_leaves_an_empty_form_that_keeps_what_is_typed_into_it(
    browser: Browser, operator_server: LiveServer
) -> None:
    page = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 800}).new_page()
    page.clock.install()  # the console's clock, moved on below instead of waited for
    for path in ("/admin", "/agent", "/orders"):
        log_in(page, operator_server.url, path)
        page.click("#logout")
        expect(page.locator("#login")).to_be_visible()
        # The next person at this computer does not find the password typed in for them.
        expect(page.locator("#password")).to_have_value("")
    # The operator console no longer asks for its status once logged out: someone typing a
    # password a while later keeps the cursor, and what they typed.
    log_in(page, operator_server.url, "/admin")
    page.click("#logout")
    page.fill("#email", "ktos@shop.pl")
    page.click("#password")
    page.keyboard.type("tajne")
    page.clock.run_for(10_000)
    expect(page.locator("#password")).to_be_focused()
    expect(page.locator("#password")).to_have_value("tajne")
    page.context.close()
