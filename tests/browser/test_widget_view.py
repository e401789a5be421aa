"""The widget keeps the newest message and its buttons in view, and says who answers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Locator, expect
from websockets.sync.client import connect

from bot.auth import create_user
from tests.conftest import LiveServer, make_settings

from .chat_widget import ChatWidget

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
WIDE = {"viewport": {"width": 1920, "height": 1080}}
MOBILE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path_factory.mktemp("widget-view"), support_hours="08:00-20:00")
    server = LiveServer(settings)
    server.start()
    core = server.app.state.core  # type: ignore[attr-defined]

    async def add_agent() -> None:
        async with core.sessions() as s:
            await create_user(s, "ala@shop.pl", "correct horse", "agent")

    asyncio.run_coroutine_threadsafe(add_agent(), core.loop).result(10)
    yield server
    server.stop()


def chat_in(
    browser: Browser, server: LiveServer, device: dict[str, object], locale: str = "pl-PL"
) -> ChatWidget:
    context = browser.new_context(locale=locale, **device)  # type: ignore[arg-type]
    return ChatWidget(context.new_page(), server.url)


def newest_bot_message_in_view(chat: ChatWidget, count: int) -> None:
    """The `count`-th bot message has arrived and is shown down to its end, buttons wholly."""
    expect(chat.messages("bot")).to_have_count(count)
    newest = chat.messages("bot").last
    assert chat.end_in_view(newest), "the newest reply is not shown down to its end"
    for chip in newest.locator(".omnibot-chip").all():
        assert chat.fully_in_view(chip), f"button {chip.inner_text()!r} is out of view"


@pytest.mark.parametrize("device", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
def test_a_tall_reply_and_its_buttons_are_in_view(
    browser: Browser, server: LiveServer, device: dict[str, object]
) -> None:
    chat = chat_in(browser, server, device)
    try:
        chat.visit()
        chat.open()
        chat.wait_online()
        replies = 0
        for text in ["dzień dobry", "menu", "pizze", "2 duże margherity", "zamawiam"]:
            chat.say(text)
            replies += 1
            newest_bot_message_in_view(chat, replies)
        chat.quick_replies().filter(has_text="Odbiór osobisty").click()
        newest_bot_message_in_view(chat, replies + 1)
        chat.say("Anna Kowalska, 601 234 567")
        # The order summary: taller than the old 80 px "near the bottom" allowance.
        newest_bot_message_in_view(chat, replies + 2)
        summary = chat.messages("bot").last
        assert summary.bounding_box()["height"] > 120  # type: ignore[index]
        confirm = chat.quick_replies().filter(has_text="Potwierdzam")  # one per payment method
        expect(confirm.last).to_be_in_viewport(ratio=1)
        chat.screenshot(f"order-summary-{'mobile' if device is MOBILE else 'desktop'}")
        assert chat.page_errors == []
    finally:
        chat.page.context.close()


@pytest.mark.parametrize("device", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
def test_a_reader_scrolled_up_is_told_of_new_messages_and_taken_down(
    browser: Browser, server: LiveServer, device: dict[str, object]
) -> None:
    chat = chat_in(browser, server, device)
    try:
        chat.visit()
        chat.open()
        chat.wait_online()
        for count, text in enumerate(["menu", "pizze", "napoje"], start=1):
            chat.say(text)
            expect(chat.messages("bot")).to_have_count(count)
        expect(chat.new_messages_marker).to_be_hidden()

        chat.scroll_up_to_read()
        chat.send_over_rest("pizze")  # the same customer in another tab: the reader stays put
        expect(chat.messages("bot")).to_have_count(4)
        expect(chat.new_messages_marker).to_be_visible()
        expect(chat.new_messages_marker).to_have_text(re.compile(r"2 nowe wiadomości"))
        assert chat.scroller.evaluate("el => el.scrollTop") == 0
        chat.screenshot(f"new-messages-{'mobile' if device is MOBILE else 'desktop'}")

        chat.new_messages_marker.click()
        expect(chat.new_messages_marker).to_be_hidden()
        newest_bot_message_in_view(chat, 4)

        # Scrolling down by hand also clears the marker.
        chat.scroll_up_to_read()
        chat.send_over_rest("koszyk")
        expect(chat.new_messages_marker).to_be_visible()
        chat.scroller.evaluate("el => el.scrollTo(0, el.scrollHeight)")
        expect(chat.new_messages_marker).to_be_hidden()
        assert chat.page_errors == []
    finally:
        chat.page.context.close()


def lines_of(element: Locator) -> int:
    """How many lines of text the element is laid out in."""
    height = "e.getBoundingClientRect().height"
    line = "parseFloat(getComputedStyle(e).lineHeight)"
    return int(element.evaluate(f"e => Math.round({height} / {line})"))


def lines_of_text(element: Locator, text: str) -> int:
    """How many lines `text`, somewhere inside the element, is laid out in."""
    script = """(e, text) => {
      const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.data.indexOf(text);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + text.length);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
      }
      return 0;
    }"""
    return int(element.evaluate(script, text))


@pytest.mark.parametrize(
    ("device", "locale", "status"),
    [
        (DESKTOP, "pl-PL", "Odpowiada bot · konsultanci 08:00–20:00"),
        (DESKTOP, "en-US", "The bot answers · agents 08:00–20:00"),
        (WIDE, "pl-PL", "Odpowiada bot · konsultanci 08:00–20:00"),
        (MOBILE, "pl-PL", "Odpowiada bot · konsultanci 08:00–20:00"),
    ],
    ids=["desktop-pl", "desktop-en", "wide-pl", "mobile-pl"],
)
def test_the_agents_hours_fit_the_header(
    browser: Browser, server: LiveServer, device: dict[str, object], locale: str, status: str
) -> None:
    chat = chat_in(browser, server, device, locale)
    try:
        chat.visit()
        chat.open()
        chat.wait_online()
        expect(chat.header_status).to_have_text(status)
        # The hours are never split ("08:00–" / "20:00"), whatever the width.
        assert lines_of_text(chat.header_status, "08:00–20:00") == 1
        # Nothing runs out of the header: the line, the end and close buttons are all shown.
        assert chat.header_status.evaluate("e => e.scrollWidth <= e.clientWidth")
        for button in chat.page.locator(".omnibot-header button").all():
            expect(button).to_be_in_viewport(ratio=1)
        if device is MOBILE:  # 375 px: two lines at most, broken between the phrases
            assert lines_of(chat.header_status) <= 2
        else:
            assert lines_of(chat.header_status) == 1
        chat.screenshot(f"header-hours-{chat.page.viewport_size['width']}-{locale}")  # type: ignore[index]
        assert chat.page_errors == []
    finally:
        chat.page.context.close()


def test_the_header_says_whether_a_person_is_online(browser: Browser, server: LiveServer) -> None:
    chat = chat_in(browser, server, DESKTOP)
    try:
        chat.visit()
        chat.open()
        chat.wait_online()
        expect(chat.header_status).to_have_text("Odpowiada bot · konsultanci 08:00–20:00")
        chat.screenshot("header-bot")

        r = httpx.post(
            f"{server.url}/api/auth/token",
            data={"username": "ala@shop.pl", "password": "correct horse"},
        )
        console_url = server.url.replace("http", "ws") + "/ws/agent"
        with connect(f"{console_url}?token={r.json()['access_token']}") as console:
            console.send('{"type": "watch", "conversation_id": 999}')
            console.recv(timeout=10)  # the console is served: the agent is at work
            chat.page.reload()
            chat.open()
            chat.wait_online()
            expect(chat.header_status).to_have_text("Konsultant jest dostępny")
            chat.screenshot("header-agent")
        assert chat.page_errors == []
    finally:
        chat.page.context.close()


def test_the_header_names_the_person_who_took_the_conversation_until_handed_back(
    browser: Browser, server: LiveServer
) -> None:
    # Last in the module: the agent acting here counts as an agent online from now on.
    chat = chat_in(browser, server, DESKTOP)
    try:
        chat.visit()
        chat.open()
        chat.wait_online()
        chat.say("chcę rozmawiać z człowiekiem")
        expect(chat.messages("bot")).to_have_count(1)  # the conversation waits for a person
        expect(chat.header_status).not_to_contain_text("Rozmawiasz z")

        token = httpx.post(
            f"{server.url}/api/auth/token",
            data={"username": "ala@shop.pl", "password": "correct horse"},
        ).json()["access_token"]
        agent = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
        customer_id = httpx.post(
            f"{server.url}/api/webchat/sessions", json={"session_token": chat.session_token()}
        ).json()["customer_id"]
        waiting = agent.get("/api/agent/conversations", params={"status": "waiting_agent"})
        conversation = next(
            c["id"] for c in waiting.json()["conversations"] if c["customer_id"] == customer_id
        )

        # The agent takes the conversation in the console API: the open widget says who.
        assert agent.post(f"/api/agent/conversations/{conversation}/assign").status_code == 200
        expect(chat.header_status).to_have_text("Rozmawiasz z: Ala z obsługi")
        expect(chat.root).to_have_attribute("data-talk", "agent")
        chat.screenshot("header-with-agent")
        # A reloaded page learns it on connecting.
        chat.page.reload()
        chat.open()
        chat.wait_online()
        expect(chat.header_status).to_have_text("Rozmawiasz z: Ala z obsługi")

        # Handed back to the bot: the header says who answers now again.
        assert agent.post(f"/api/agent/conversations/{conversation}/resolve").status_code == 200
        expect(chat.root).to_have_attribute("data-talk", "bot")
        expect(chat.header_status).to_have_text("Konsultant jest dostępny")
        assert chat.page_errors == []
    finally:
        chat.page.context.close()
