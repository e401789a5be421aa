"""What the server refuses, said in Polish on Polish staff pages end to end: too many logins
(with how long to wait), an invalid field, the board's live feed refusing a disabled login."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.auth import create_user, disable_user
from tests.conftest import LiveServer, make_settings

PASSWORD = "correct horse"
KITCHEN = "kuchnia@shop.pl"
OPERATOR = "ola@shop.pl"
ATTEMPTS = 1  # logins per account and address in the lockout window


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(make_settings(tmp_path, login_attempts_per_account=ATTEMPTS))
    server.start()
    run(server, add_staff)
    yield server
    server.stop()


def run(server: LiveServer, job: Any, *args: Any) -> None:
    core: Any = server.app.state.core

    async def in_session() -> None:
        async with core.sessions() as session:
            await job(session, *args)

    asyncio.run_coroutine_threadsafe(in_session(), core.loop).result(10)


async def add_staff(session: Any) -> None:
    await create_user(session, KITCHEN, PASSWORD, "kitchen")
    await create_user(session, OPERATOR, PASSWORD, "operator")


def polish_page(browser: Browser) -> Page:
    return browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 800}).new_page()


def log_in(page: Page, url: str, path: str, email: str, password: str = PASSWORD) -> None:
    page.goto(url + path)
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login button[type=submit]")


def test_too_many_logins_say_in_polish_how_long_to_wait(browser: Browser, shop: LiveServer) -> None:
    page = polish_page(browser)
    log_in(page, shop.url, "/orders", KITCHEN, "wrong")
    expect(page.locator("#login-error")).to_have_text("Nieprawidłowy e-mail lub hasło.")
    page.click("#login button[type=submit]")  # one more than the window allows
    expect(page.locator("#login-error")).to_have_text(
        "Za dużo prób logowania — spróbuj ponownie za 15 min."
    )
    page.context.close()


def test_an_invalid_field_is_named_and_explained_in_polish(
    browser: Browser, shop: LiveServer
) -> None:
    page = polish_page(browser)
    log_in(page, shop.url, "/admin", OPERATOR)
    page.get_by_role("tab", name="Wypróbuj").click()
    page.fill("#try-text", "a" * 4001)
    page.locator("#try-form button[type=submit]").click()
    expect(page.locator("#error")).to_have_text("Tekst: najwyżej 4000 znaków.")
    page.context.close()


def test_the_board_says_in_polish_why_its_live_feed_logged_it_out(
    browser: Browser, shop: LiveServer
) -> None:
    page = polish_page(browser)
    log_in(page, shop.url, "/orders", KITCHEN)
    expect(page.locator("#link")).to_have_text("na żywo")
    run(shop, disable_user, KITCHEN)
    page.evaluate("window.omnibotBoard.hold(true)")  # the connection drops and comes back
    page.evaluate("window.omnibotBoard.hold(false)")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#login-error")).to_have_text(
        "Sesja wygasła albo konto wyłączono — zaloguj się ponownie."
    )
    expect(page.locator("#link")).to_have_text("…")  # logged out, not "reconnecting"
    page.context.close()


def test_a_size_still_priced_and_a_broken_import_are_refused_in_polish(
    browser: Browser, shop: LiveServer
) -> None:
    page = polish_page(browser)
    log_in(page, shop.url, "/admin", OPERATOR)
    page.get_by_role("tab", name="Lokal").click()
    sizes = page.locator("#shop-sizes")
    expect(sizes).to_have_value(re.compile(r"^large \| duża \(42 cm\)", re.M))
    kept = [line for line in sizes.input_value().splitlines() if not line.startswith("large")]
    sizes.fill("\n".join(kept))
    page.get_by_role("button", name="Zapisz dane lokalu").click()
    expect(page.locator("#error")).to_have_text(
        "Rozmiaru large używa produkt margherita — najpierw usuń jego cenę w tym rozmiarze."
    )
    sizes.fill("\n".join([*kept, "Duża XL | bardzo duża | XL"]))
    page.get_by_role("button", name="Zapisz dane lokalu").click()
    expect(page.locator("#error")).to_have_text(
        "Identyfikator rozmiaru „Duża XL” jest niepoprawny: małe litery, cyfry, - i _."
    )

    page.get_by_role("tab", name="Import / eksport").click()
    broken = {"name": "intents.yaml", "mimeType": "application/x-yaml",
              "buffer": b"intents:\n  greet: [hi\n"}  # fmt: skip
    page.set_input_files("#import-file", files=[broken])
    page.get_by_role("button", name="Importuj").click()
    expect(page.locator("#error")).to_have_text("intents.yaml: niepoprawny YAML (wiersz 3).")
    page.context.close()


def test_rolling_back_to_what_the_content_already_is_is_refused_in_polish(
    browser: Browser, shop: LiveServer
) -> None:
    page = polish_page(browser)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, shop.url, "/admin", OPERATOR)
    page.get_by_role("tab", name="Lokal").click()
    fee = page.get_by_label("Opłata za dostawę (zł)")
    expect(fee).to_have_value("9,90")
    fee.fill("6,90")
    page.get_by_role("button", name="Zapisz dane lokalu").click()
    expect(page.locator("#saved")).to_contain_text("Zapisano dane lokalu")
    page.get_by_role("tab", name="Historia").click()
    first = page.locator('#history tr[data-version="1"] button')
    first.click()
    expect(page.locator("#saved")).to_contain_text("Przywrócono wersję 1")
    first.click()  # once more: the content is already as it was
    expect(page.locator("#error")).to_have_text("Treść jest już taka, jak zaraz po wersji 1.")
    page.context.close()


@pytest.mark.parametrize("path", ["/admin", "/agent"])
def test_a_kitchen_login_on_a_console_it_may_not_use_is_told_which_role_it_needs(
    browser: Browser, shop: LiveServer, path: str
) -> None:
    page = polish_page(browser)
    log_in(page, shop.url, path, KITCHEN)
    # Back at the login form, told why: not a broken page, not "log in again".
    expect(page.locator("#login-error")).to_have_text("Do tego potrzebna jest rola: konsultant.")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#logout")).to_be_hidden()
    page.context.close()
