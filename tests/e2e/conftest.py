"""Cross-channel journeys: the real app with Telegram, SMS and the web chat against local fakes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.settings import Settings
from bot.store import repo
from bot.store.models import Message, utcnow
from tests.adapters.sms.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    FakeTwilio,
    inbound_form,
    twilio_signature,
)
from tests.adapters.telegram.fake_api import FakeTelegramAPI
from tests.conftest import NLU_CACHE, make_settings

PUBLIC_URL = "https://bot.example"
TG_SECRET = "journey-secret"


@pytest.fixture(scope="session")
def nlu_cache() -> Path:
    """The suite's one embedding/ONNX cache: the model is prepared once."""
    return NLU_CACHE


@pytest.fixture
def fakes() -> Iterator[tuple[FakeTelegramAPI, FakeTwilio]]:
    with FakeTelegramAPI() as telegram, FakeTwilio() as twilio:
        yield telegram, twilio


async def settle(app: Any) -> None:
    """Wait until every update is answered and no reply is still on its way to a channel
    (sending now, or due for the outbox's next pass)."""
    for adapter in app.state.runtime.adapters:
        drain = getattr(adapter, "drain", None)
        if drain:
            await drain()
    while True:
        async with app.state.core.sessions() as session:
            due = await repo.due_outbox(session, utcnow(), limit=1)
            sending = await session.scalar(
                select(Message.id).where(Message.delivery_status == "sending").limit(1)
            )
        if not due and sending is None:
            return
        await asyncio.sleep(0.02)


class Omni:
    """The customer's three channels, driven as the real services would."""

    def __init__(
        self, app: Any, http: httpx.AsyncClient, telegram: FakeTelegramAPI, twilio: FakeTwilio
    ) -> None:
        self.app = app
        self.http = http
        self.telegram = telegram
        self.twilio = twilio
        self._n = 0

    @property
    def core(self) -> Any:
        return self.app.state.core

    async def settle(self) -> None:
        await settle(self.app)

    async def telegram_update(self, update: dict[str, Any]) -> None:
        r = await self.http.post(
            "/channels/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
        )
        assert r.status_code == 200, r.text
        await self.settle()

    def telegram_texts(self, chat_id: int) -> list[str]:
        return [
            str(c.params.get("text"))
            for c in self.telegram.calls_to("sendMessage")
            if str(c.params.get("chat_id")) == str(chat_id)
        ]

    async def sms(self, phone: str, body: str) -> None:
        form = inbound_form(body, from_=phone)
        signature = twilio_signature(PUBLIC_URL + "/channels/sms/twilio", form)
        r = await self.http.post(
            "/channels/sms/twilio", data=form, headers={"X-Twilio-Signature": signature}
        )
        assert r.status_code == 200, r.text
        await self.settle()

    def sms_texts(self, phone: str) -> list[str]:
        return [m.body for m in self.twilio.messages_to(phone)]

    async def webchat_session(self) -> str:
        r = await self.http.post("/api/webchat/sessions")
        return str(r.json()["session_token"])

    async def web(self, token: str, text: str) -> list[str]:
        self._n += 1
        r = await self.http.post(
            "/api/webchat/messages",
            json={"session_token": token, "text": text, "client_message_id": f"j{self._n}"},
        )
        assert r.status_code == 200, r.text
        return [m["text"] for m in r.json()["replies"]]

    async def web_history(self, token: str) -> list[dict[str, Any]]:
        r = await self.http.get("/api/webchat/history", params={"token": token})
        return list(r.json()["messages"])


def omnichannel_settings(
    tmp_path: Path, telegram: FakeTelegramAPI, twilio: FakeTwilio, **overrides: Any
) -> Settings:
    """Settings with Telegram (webhook mode) and SMS pointed at the local fakes."""
    return make_settings(
        tmp_path,
        public_url=PUBLIC_URL,
        telegram_bot_token="123456:JOURNEY-token",
        telegram_webhook_secret=TG_SECRET,
        telegram_api_base=telegram.url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        twilio_api_base=twilio.url,
        **overrides,
    )


@asynccontextmanager
async def omnichannel(
    tmp_path: Path, nlu_cache: Path, telegram: FakeTelegramAPI, twilio: FakeTwilio
) -> AsyncIterator[Omni]:
    settings = omnichannel_settings(
        tmp_path, telegram, twilio, nlu_backend="auto", cache_dir=nlu_cache
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Omni(app, http, telegram, twilio)


@pytest.fixture
async def omni(
    tmp_path: Path, nlu_cache: Path, fakes: tuple[FakeTelegramAPI, FakeTwilio]
) -> AsyncIterator[Omni]:
    async with omnichannel(tmp_path, nlu_cache, *fakes) as o:
        yield o


def six_digits(texts: list[str]) -> str:
    for text in reversed(texts):
        match = re.search(r"\b(\d{6})\b", text)
        if match:
            return match.group(1)
    raise AssertionError(f"no code in {texts}")
