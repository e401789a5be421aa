"""A long web chat history on a new device: the newest messages first, older ones on request.

The history request gives the newest page and the socket's catch-up goes on from its newest
message; the visitor reads back a page at a time with "show earlier messages". Each message
is shown once, none is left out.
"""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from bot.store.models import Message
from tests.adapters.webchat.test_socket import store_messages
from tests.conftest import LiveServer

from .chat_widget import ChatWidget

STORED = 1_100  # more than the first page (500) and the socket's catch-up (500) together
PAGE = 500


def test_a_new_device_shows_the_newest_messages_and_reads_back_to_the_first(
    browser: Browser, live_server: LiveServer
) -> None:
    core: Any = live_server.app.state.core

    async def stored_ids(customer_id: int) -> list[int]:
        async with core.sessions() as session:
            rows = await session.scalars(
                select(Message.id)
                .where(Message.customer_id == customer_id, Message.private.is_(False))
                .order_by(Message.id)
            )
            return list(rows)

    first_device = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 800})
    try:
        chat = ChatWidget(first_device.new_page(), live_server.url)
        chat.visit()
        chat.open()
        chat.say("cześć")
        expect(chat.messages("bot").first).to_be_visible()
        token = chat.session_token()
        session = httpx.post(
            f"{live_server.url}/api/webchat/sessions", json={"session_token": token}, timeout=10
        ).json()
        customer_id = int(session["customer_id"])
        live_server.run(store_messages(core, customer_id, STORED))
        everything = live_server.run(stored_ids(customer_id))
        assert len(everything) > STORED

        # The same chat on a new device (its session carried over, nothing shown there yet).
        second_device = browser.new_context(
            locale="pl-PL",
            viewport={"width": 1280, "height": 800},
            storage_state=first_device.storage_state(),
        )
    finally:
        first_device.close()
    try:
        chat = ChatWidget(second_device.new_page(), live_server.url)
        chat.visit()
        chat.open()
        chat.wait_online()
        newest = chat.texts("bot").last
        expect(newest).to_have_text(f"wiadomość {STORED}")
        assert chat.end_in_view(newest)
        # Whatever the socket's catch-up sends again is in before the answer to this.
        reply = chat.send_over_rest("pomoc")["replies"][-1]["id"]
        expect(chat.page.locator(f'.omnibot-msg[data-id="{reply}"]')).to_have_count(1)
        answered = live_server.run(stored_ids(customer_id))
        assert answered[-1] == reply
        assert chat.shown_ids() == everything[-PAGE:] + answered[len(everything) :]

        earlier = chat.page.locator(".omnibot-earlier")
        for page_back in (everything[-2 * PAGE : -PAGE], everything[: -2 * PAGE]):
            expect(earlier).to_be_visible()
            chat.scroll_up_to_read()
            reading = chat.messages().first.get_attribute("data-id")
            count = chat.messages().count()
            earlier.click()
            expect(chat.messages()).to_have_count(count + len(page_back))
            # The message being read stays in view: the older ones come in above it.
            assert chat.fully_in_view(chat.page.locator(f'.omnibot-msg[data-id="{reading}"]'))
        expect(earlier).to_be_hidden()
        expect(chat.texts("customer").first).to_have_text("cześć")
        shown = chat.shown_ids()
        assert shown == answered and len(shown) == len(set(shown))
        assert chat.page_errors == []
    finally:
        second_device.close()
