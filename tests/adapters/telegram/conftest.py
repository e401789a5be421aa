"""The real app with the Telegram channel, against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

import bot.app
from adapters.telegram import TelegramAdapter
from bot.core import Accepted, Core
from bot.messages import InboundMessage
from bot.settings import Settings
from bot.store.models import ChannelIdentity, Message
from tests.adapters.telegram.fake_api import FakeTelegramAPI
from tests.conftest import make_settings, running_app

TOKEN = "123:ABC"
SECRET = "s3cret"
PUBLIC_URL = "https://bot.example"
WEBHOOK = "/channels/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture(autouse=True)
def telegram_in_composition_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Add the Telegram channel to the app like bot.app will (no-op once it does)."""
    original = bot.app.build_runtime

    def build_runtime(settings: Settings) -> bot.app.Runtime:
        runtime = original(settings)
        wanted = settings.telegram_bot_token
        if wanted and not any(a.name == "telegram" for a in runtime.adapters):
            adapter = TelegramAdapter(runtime.core)
            runtime.adapters.append(adapter)
            runtime.core.register_channel(adapter)
        return runtime

    monkeypatch.setattr(bot.app, "build_runtime", build_runtime)


@pytest.fixture
def fake() -> Iterator[FakeTelegramAPI]:
    with FakeTelegramAPI() as api:
        yield api


def telegram_settings(data_dir: Path, fake: FakeTelegramAPI, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base": fake.url,
        "telegram_webhook_secret": SECRET,
        "public_url": PUBLIC_URL,
        "outbox_retry_base_seconds": 0.2,
    }
    values.update(overrides)
    return make_settings(data_dir, **values)


@dataclass
class TelegramApp:
    """The running app, its HTTP client, its Telegram adapter and what the core received."""

    app: Any
    http: httpx.AsyncClient
    adapter: TelegramAdapter
    fake: FakeTelegramAPI
    received: list[InboundMessage] = field(default_factory=list)

    @property
    def core(self) -> Core:
        core: Core = self.app.state.core
        return core

    async def post(self, update: Any, secret: str | None = SECRET) -> httpx.Response:
        """POST to the webhook as Telegram would, then wait for the update to be handled."""
        headers = {SECRET_HEADER.encode(): secret.encode()} if secret is not None else {}
        if isinstance(update, dict):
            response = await self.http.post(WEBHOOK, json=update, headers=headers)
        else:
            response = await self.http.post(WEBHOOK, content=update, headers=headers)
        await self.adapter.drain()
        return response

    async def count_messages(self, **where: Any) -> int:
        async with self.core.sessions() as session:
            query = select(func.count(Message.id)).filter_by(**where)
            return int(await session.scalar(query) or 0)

    async def outbound(self) -> list[Message]:
        async with self.core.sessions() as session:
            rows = await session.scalars(
                select(Message).where(Message.direction == "out").order_by(Message.id)
            )
            return list(rows)

    async def settled_outbound(self) -> list[Message]:
        """The outbound rows once none is still on its way (the outbox runs in background)."""
        deadline = asyncio.get_running_loop().time() + 5
        while True:
            rows = await self.outbound()
            busy = [r for r in rows if r.delivery_status in ("pending", "sending")]
            if not busy or asyncio.get_running_loop().time() > deadline:
                return rows
            await asyncio.sleep(0.05)

    async def identity(self, address: str) -> ChannelIdentity | None:
        async with self.core.sessions() as session:
            return await session.scalar(
                select(ChannelIdentity).filter_by(channel="telegram", address=address)
            )


@asynccontextmanager
async def telegram_app(
    data_dir: Path, fake: FakeTelegramAPI, **overrides: Any
) -> AsyncIterator[TelegramApp]:
    """The real app (webhook mode unless public_url=None) with a spy on what the adapter
    hands the core (`Core.accept_and_answer`)."""
    async with running_app(telegram_settings(data_dir, fake, **overrides)) as (started, http):
        app: Any = started
        adapter = next(a for a in app.state.runtime.adapters if a.name == "telegram")
        assert isinstance(adapter, TelegramAdapter)
        running = TelegramApp(app, http, adapter, fake)
        core: Core = app.state.core
        accept = core.accept_and_answer

        async def spy(inbound: InboundMessage) -> Accepted:
            running.received.append(inbound)
            return await accept(inbound)

        core.accept_and_answer = spy  # type: ignore[method-assign]
        yield running


@pytest.fixture
async def tg(tmp_path: Path, fake: FakeTelegramAPI) -> AsyncIterator[TelegramApp]:
    async with telegram_app(tmp_path, fake) as running:
        yield running
