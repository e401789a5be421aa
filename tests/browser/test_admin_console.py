"""An operator teaches the bot in /admin; the web chat's next message uses it; a rollback
undoes it. Real NLU (shared with tests/admin), real server, real widget."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.auth import create_user
from tests.admin.conftest import mount_admin
from tests.admin.nlu import own_engine, use_shared_engine
from tests.conftest import LiveServer, make_settings

from .chat_widget import ChatWidget

DOGS = "Czy można przyjść z psem?"
DOGS_ANSWER = "Tak, psy są u nas mile widziane."


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    # An engine of its own (loaded before the server's start-up clock runs): what other
    # tests did to the shared one cannot leak into what this browser sees.
    use_shared_engine(monkeypatch, own_engine())
    live = LiveServer(make_settings(tmp_path, nlu_backend="auto"))
    mount_admin(live.app)
    live.start()

    async def add_operator() -> None:
        async with live.app.state.core.sessions() as s:
            await create_user(s, "ola@shop.pl", "correct horse", "operator")

    loop = live.app.state.runtime.core.loop
    asyncio.run_coroutine_threadsafe(add_operator(), loop).result(10)
    yield live
    live.stop()


def bot_says(chat: ChatWidget, text: str) -> str:
    """Send a message in the widget; the text of the bot's reply to it."""
    before = chat.texts("bot").count()
    chat.say(text)
    expect(chat.texts("bot")).not_to_have_count(before)
    chat.settled_ids()
    return "\n".join(chat.texts("bot").all_inner_texts()[before:])


def wait_live(console: Page) -> None:
    """The console shows that the bot answers with the version it just saved.

    (How fast that happens is benchmarks/content_live.py's business, not this test's.)"""
    version = re.findall(r"version (\d+);", console.locator("#saved").inner_text())[-1]
    expect(console.locator("#live")).to_have_text(f"live: version {version}", timeout=30_000)


def test_operator_teaches_the_bot_and_rolls_back(browser: Browser, server: LiveServer) -> None:
    shop = browser.new_page(locale="pl-PL")
    chat = ChatWidget(shop, server.url)
    chat.visit()
    chat.open()
    chat.wait_online()
    greeting = bot_says(chat, "cześć")
    assert bot_says(chat, "klops") != greeting
    assert DOGS_ANSWER not in bot_says(chat, DOGS)

    console = browser.new_page()
    console.goto(f"{server.url}/admin")
    console.fill("#email", "ola@shop.pl")
    console.fill("#password", "correct horse")
    console.click("#login button[type=submit]")
    expect(console.locator("#who")).to_contain_text("operator")
    expect(console.locator("#live")).to_have_text(re.compile(r"^live: version [1-9]\d*$"))
    start_version = int(console.locator("#live").get_attribute("data-version") or "0")

    # An example for an intent.
    console.fill("#intent-q", "greet")
    console.locator("#intent-list button", has_text="greet").first.click()
    expect(console.locator("#intent-name")).to_have_value("greet")
    examples = console.locator("#intent-ex-pl")
    examples.fill(examples.input_value() + "\nklops")
    console.click("#intent-form button[type=submit]")
    expect(console.locator("#saved")).to_contain_text("Saved intent greet")

    # A new FAQ entry.
    console.click("nav button[data-tab=faq]")
    console.click("#faq-new")
    console.fill("#faq-q-pl", f"{DOGS}\nCzy wpuszczacie psy?")
    console.fill("#faq-a-pl", DOGS_ANSWER)
    console.fill("#faq-q-en", "Can I bring my dog?")
    console.fill("#faq-a-en", "Yes, dogs are welcome.")
    console.click("#faq-form button[type=submit]")
    expect(console.locator("#saved")).to_contain_text("Saved FAQ")
    wait_live(console)

    # The web chat's next messages use them.
    assert bot_says(chat, "klops") == greeting
    assert bot_says(chat, DOGS) == DOGS_ANSWER

    # The try-it box says the same.
    console.click("nav button[data-tab=try]")
    console.fill("#try-text", DOGS)
    console.click("#try-form button[type=submit]")
    expect(console.locator("#try-result")).to_contain_text("FAQ match: czy-mozna-przyjsc-z-psem")
    expect(console.locator("#try-result .try-reply")).to_have_text(DOGS_ANSWER)

    # A rollback to before the changes restores the old behaviour.
    console.click("nav button[data-tab=history]")
    row = console.locator(f"#history tr[data-version='{start_version}']")
    console.on("dialog", lambda d: d.accept())
    row.locator("button").click()
    expect(console.locator("#saved")).to_contain_text(f"Rolled back to version {start_version}")
    wait_live(console)
    assert bot_says(chat, "klops") != greeting
    assert DOGS_ANSWER not in bot_says(chat, DOGS)
    assert not chat.page_errors
    console.close()
    shop.close()
