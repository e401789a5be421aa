"""The widget's own words follow the conversation's language, live and after a reload."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, WebSocketRoute, expect

from .chat_widget import ChatWidget


@pytest.fixture
def chat_for(browser: Browser, base_url: str) -> Iterator[object]:
    contexts = []

    def open_in(locale: str) -> ChatWidget:
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
        contexts.append(context)
        return ChatWidget(context.new_page(), base_url)

    yield open_in
    for context in contexts:
        context.close()


def speaks(
    chat: ChatWidget, lang: str, status: str, placeholder: str, send: str, clock: re.Pattern[str]
) -> None:
    """The header, the input and its button are in `lang`, and every message's time is
    written as `lang` writes it (the ones drawn before a switch too)."""
    expect(chat.root).to_have_attribute("lang", lang)
    expect(chat.header_status).to_contain_text(status)
    expect(chat.input).to_have_attribute("placeholder", placeholder)
    expect(chat.page.locator(".omnibot-send")).to_have_attribute("aria-label", send)
    times = chat.messages().locator(".omnibot-meta")
    expect(times).to_have_text([clock] * times.count())


POLISH = ("pl", "Odpowiada bot", "Napisz wiadomość…", "Wyślij", re.compile(r"^\d\d:\d\d$"))
ENGLISH = ("en", "The bot answers", "Type a message…", "Send", re.compile(r"^\d\d:\d\d\s[AP]M$"))


@pytest.mark.parametrize(
    ("locale", "before", "ask", "reply", "after"),
    [
        ("pl-PL", POLISH, "switch to english please", "in English", ENGLISH),
        ("en-US", ENGLISH, "mów po polsku", "po polsku", POLISH),
    ],
    ids=["pl-to-en", "en-to-pl"],
)
def test_the_widget_speaks_the_language_the_conversation_switched_to(
    chat_for: object,
    locale: str,
    before: tuple[str, str, str, str, re.Pattern[str]],
    ask: str,
    reply: str,
    after: tuple[str, str, str, str, re.Pattern[str]],
) -> None:
    chat: ChatWidget = chat_for(locale)  # type: ignore[operator]
    chat.visit()
    chat.open()
    chat.wait_online()
    speaks(chat, *before)

    chat.say("menu")
    expect(chat.texts("bot").last).to_be_visible()
    speaks(chat, *before)

    chat.say(ask)
    expect(chat.texts("bot").last).to_contain_text(reply)
    speaks(chat, *after)
    chat.screenshot(f"language-{after[0]}-live")

    # The page's own language stays what the browser says; the chat keeps the conversation's.
    chat.page.reload()
    chat.open()
    chat.wait_online()
    expect(chat.texts("bot").last).to_contain_text(reply)
    speaks(chat, *after)
    chat.screenshot(f"language-{after[0]}-reloaded")
    assert chat.page_errors == []


def test_a_message_that_could_not_be_sent_says_so_in_the_language_switched_to(
    chat_for: object,
) -> None:
    sockets: list[WebSocketRoute] = []

    def pass_through(page_side: WebSocketRoute) -> None:
        page_side.connect_to_server()
        sockets.append(page_side)

    chat: ChatWidget = chat_for("pl-PL")  # type: ignore[operator]
    chat.page.route_web_socket(re.compile(r"/ws/webchat"), pass_through)
    chat.start_chatting()

    chat.page.context.set_offline(True)
    sockets[-1].close()  # offline emulation leaves open sockets alone; drop it by hand
    expect(chat.root).to_have_attribute("data-state", "offline")
    chat.say("pomoc")
    failed = chat.page.locator(".omnibot-failed .omnibot-error")
    expect(failed).to_contain_text("Nie udało się wysłać.")
    expect(failed.get_by_role("button")).to_have_text("Spróbuj ponownie")

    # The same customer asks for English elsewhere; the widget follows, the failure too.
    chat.page.context.set_offline(False)
    chat.wait_online()
    chat.send_over_rest("switch to english please")
    expect(chat.root).to_have_attribute("lang", "en")
    expect(failed).to_contain_text("Couldn't send.")
    expect(failed).not_to_contain_text("Nie udało")
    expect(failed.get_by_role("button")).to_have_text("Try again")
    chat.screenshot("failed-send-after-switch")

    failed.get_by_role("button").click()
    expect(chat.page.locator(".omnibot-failed")).to_have_count(0)
    expect(chat.texts("customer").last).to_have_text("pomoc")
    assert chat.page_errors == []
