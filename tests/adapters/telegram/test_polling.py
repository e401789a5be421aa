"""Polling mode (no PUBLIC_URL) and starting while Telegram is unreachable."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from adapters.telegram.adapter import POLLING_TIMEOUT
from tests.adapters.telegram import updates
from tests.adapters.telegram.conftest import telegram_app
from tests.adapters.telegram.fake_api import FakeTelegramAPI

CHAT = 31337


async def test_polling_consumes_get_updates_and_replies(
    tmp_path: Path, fake: FakeTelegramAPI
) -> None:
    # As Telegram does, a poll with nothing to fetch is held open for the whole timeout.
    fake.max_poll_wait = POLLING_TIMEOUT
    async with telegram_app(tmp_path, fake, public_url=None) as tg:
        assert tg.fake.calls_to("deleteWebhook")
        assert not tg.fake.calls_to("setWebhook")
        fake.push_update(updates.text(CHAT, "cześć"))
        [greeting] = await fake.wait_for("sendMessage")
        assert greeting.params["chat_id"] == CHAT
        title = greeting.params["reply_markup"]["inline_keyboard"][0][0]["text"]
        fake.push_update(updates.press(greeting, title))
        await fake.wait_for("answerCallbackQuery")
        await fake.wait_for("sendMessage", 2)
        # Confirmed updates are not fetched again: still one reply per update.
        await asyncio.sleep(0.3)
        assert len(fake.calls_to("sendMessage")) == 2
        assert str(tg.received[0].provider_id).isdigit()
        stopping = time.monotonic()
    # A pending long poll does not hold up shutdown: waiting for it would take the whole
    # POLLING_TIMEOUT; half of it leaves a loaded machine room without blurring the two.
    assert time.monotonic() - stopping < POLLING_TIMEOUT / 2
    polls = fake.calls_to("getUpdates")
    assert polls and polls[-1].params["offset"] > 0


async def test_start_is_retried_when_telegram_is_down(
    tmp_path: Path, fake: FakeTelegramAPI
) -> None:
    fake.fail_next("getMe", 502)
    async with telegram_app(tmp_path, fake) as tg:
        assert tg.fake.webhook is None  # the app is up anyway; other channels work
        await fake.wait_for("setWebhook")
        assert tg.adapter.username == "omnibot_test_bot"
