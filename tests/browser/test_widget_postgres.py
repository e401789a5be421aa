"""The web chat widget on PostgreSQL: a reconnect loses no message, whatever order commits came in.

An id is taken when a row is inserted, but the row is seen only when its transaction commits:
a message that took an earlier id (an order's status notice written on another instance) can
commit after a later one the chat has already shown.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, WebSocketRoute, expect
from sqlalchemy import select

from bot.store.models import Message, utcnow
from tests.conftest import LiveServer, make_settings, postgres_database

from .chat_widget import ChatWidget


@pytest.fixture
def pg_shop(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own on a fresh PostgreSQL database."""
    # The database's setup and teardown run on a loop of their own: Playwright's sync API
    # has this thread's.
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    database = postgres_database()
    try:
        url = asyncio.run_coroutine_threadsafe(database.__aenter__(), loop).result(30)
        live = LiveServer(make_settings(tmp_path, database_url=url))
        live.start()
        try:
            yield live
        finally:
            live.stop()
            exit_ = database.__aexit__(None, None, None)
            asyncio.run_coroutine_threadsafe(exit_, loop).result(30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_a_message_that_commits_after_a_later_one_was_shown_arrives_after_a_reconnect(
    browser: Browser, pg_shop: LiveServer
) -> None:
    core: Any = pg_shop.app.state.core

    sockets: list[WebSocketRoute] = []

    def pass_through(page_side: WebSocketRoute) -> None:
        page_side.connect_to_server()
        sockets.append(page_side)

    held: dict[str, Any] = {}
    context = browser.new_context(locale="pl-PL")
    try:
        chat = ChatWidget(context.new_page(), pg_shop.url)
        chat.page.route_web_socket(re.compile(r"/ws/webchat"), pass_through)
        chat.start_chatting()

        # Another instance writes the customer a notice: it takes its id, not yet committed.

        async def begin_notice() -> int:
            session = core.sessions()
            held["session"] = session
            first = await session.scalar(
                select(Message).where(Message.text == "cześć").order_by(Message.id)
            )
            assert first is not None
            notice = Message(
                customer_id=first.customer_id,
                conversation_id=first.conversation_id,
                direction="out",
                author="system",
                channel="webchat",
                address=first.address,
                text="Zamówienie przyjęte: gotowe za 15 minut",
                delivery_status="sent",
                created_at=utcnow(),
            )
            session.add(notice)
            await session.flush()
            return int(notice.id)

        async def commit_notice() -> None:
            await held["session"].commit()
            await held["session"].close()

        notice_id = pg_shop.run(begin_notice())
        # Meanwhile the customer writes and is answered: later ids, committed first, shown live.
        later = chat.send_over_rest("menu")
        newest = later["replies"][-1]["id"]
        assert newest > notice_id
        expect(chat.page.locator(f'.omnibot-msg[data-id="{newest}"]')).to_have_count(1)

        # The connection drops in that moment; the notice commits while the chat is away.
        chat.page.context.set_offline(True)
        sockets[-1].close()
        expect(chat.root).to_have_attribute("data-state", "offline")
        pg_shop.run(commit_notice())

        chat.page.context.set_offline(False)
        chat.wait_online()
        expect(chat.page.locator(f'.omnibot-msg[data-id="{notice_id}"]')).to_have_count(1)
        expect(chat.texts("system")).to_have_text(["Zamówienie przyjęte: gotowe za 15 minut"])
        # What the new socket sends first (its catch-up) is in before this answer to "pomoc".
        chat.say("pomoc")
        expect(chat.texts("customer")).to_have_text(["cześć", "menu", "pomoc"])
        expect(chat.page.locator(".omnibot-pending")).to_have_count(0)
        replied = chat.server_history()[-1]["id"]
        expect(chat.page.locator(f'.omnibot-msg[data-id="{replied}"]')).to_have_count(1)
        ids = chat.shown_ids()
        assert ids == [m["id"] for m in chat.server_history()]
        assert len(ids) == len(set(ids))
        assert chat.page_errors == []
    finally:
        if "session" in held:
            pg_shop.run(held["session"].close())
        context.close()
