"""The real app with the SMS channel, talking to a fake Twilio REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from adapters.sms import SmsAdapter
from bot.app import create_app
from bot.settings import Settings
from bot.store.models import Message
from tests.adapters.sms.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    PUBLIC_URL,
    FakeTwilio,
)


class SmsSettings(Settings):
    """Settings with the SMS options (until bot/settings.py carries them)."""

    sms_transliterate: bool = False
    sms_max_segments: int = 4


def sms_settings(data_dir: Path, api_base: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "omnibot_data_dir": data_dir,
        "nlu_backend": "keywords",
        "secret_key": "test-secret-key-for-the-test-suite-only",
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from_number": FROM_NUMBER,
        "twilio_api_base": api_base,
        "public_url": PUBLIC_URL,
        "outbox_retry_base_seconds": 0.05,
    }
    values.update(overrides)
    return SmsSettings(**values)


def with_sms_channel(app: FastAPI) -> FastAPI:
    """Add the SMS adapter unless the composition root already did."""
    runtime = app.state.runtime
    if not any(a.name == "sms" for a in runtime.adapters):
        adapter = SmsAdapter(runtime.core)
        runtime.adapters.append(adapter)
        runtime.core.register_channel(adapter)
        app.include_router(adapter.router())
    return app


@asynccontextmanager
async def sms_app(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = with_sms_channel(create_app(settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


async def answered(app: FastAPI) -> None:
    """Wait for the turns the webhooks left running in the background (and their sends)."""
    for adapter in app.state.runtime.adapters:
        await adapter.drain()


async def stored_messages(app: FastAPI) -> list[Message]:
    async with app.state.core.sessions() as session:
        return list((await session.scalars(select(Message).order_by(Message.id))).all())


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
async def sms(
    tmp_path: Path, fake_twilio: FakeTwilio
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with sms_app(sms_settings(tmp_path, fake_twilio.url)) as running:
        yield running
