"""The real app (default NLU model, operator content) with Telegram and SMS on local fakes.

One app serves every journey of a module; each journey is a new customer.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import select

from bot.app import create_app
from bot.auth import create_user
from bot.store.models import ChannelIdentity
from tests.adapters.sms.fake_twilio import FakeTwilio, inbound_form, twilio_signature
from tests.adapters.telegram import updates
from tests.adapters.telegram.fake_api import Call, FakeTelegramAPI
from tests.conftest import NLU_CACHE
from tests.conversations.player import StateReader, button, staff_state_reader, staff_token
from tests.e2e.conftest import PUBLIC_URL, TG_SECRET, omnichannel_settings, settle

STAFF = ("journeys@shop.pl", "journeys password")
_chat_ids = itertools.count(710_000)
_phones = itertools.count(600_700_000)


@dataclass
class Shop:
    app: Any
    http: httpx.AsyncClient
    telegram: FakeTelegramAPI
    twilio: FakeTwilio
    read_state: StateReader

    async def settle(self) -> None:
        await settle(self.app)

    async def customer_of(self, channel: str, address: str) -> int:
        async with self.app.state.core.sessions() as s:
            found = await s.scalar(
                select(ChannelIdentity.customer_id).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.address == address
                )
            )
        assert found is not None, f"no customer for {channel}:{address}"
        return int(found)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shop(tmp_path_factory: Any) -> AsyncIterator[Shop]:
    with FakeTelegramAPI() as telegram, FakeTwilio() as twilio:
        settings = omnichannel_settings(
            tmp_path_factory.mktemp("journeys"),
            telegram,
            twilio,
            nlu_backend="auto",
            cache_dir=NLU_CACHE,
            nlu_process=True,  # as a server parses by default: in its worker process
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            async with app.state.core.sessions() as s:
                await create_user(s, STAFF[0], STAFF[1], "agent")
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver", timeout=60
            ) as http:
                token = await staff_token(http, *STAFF)
                yield Shop(app, http, telegram, twilio, staff_state_reader(http, token))


class TelegramCustomer:
    """A Telegram user writing to the bot's webhook; replies read from the fake Bot API."""

    channel = "telegram"

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.chat = next(_chat_ids)
        self.lang = "pl"
        self._last: list[Call] = []

    async def start(self, lang: str) -> None:
        self.lang = lang

    def sent(self) -> list[Call]:
        return [
            c
            for c in self.shop.telegram.calls_to("sendMessage")
            if str(c.params.get("chat_id")) == str(self.chat)
        ]

    async def _post(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        before = len(self.sent())
        r = await self.shop.http.post(
            "/channels/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
        )
        assert r.status_code == 200, r.text
        await self.shop.settle()
        self._last = self.sent()[before:]
        return [
            {
                "text": c.params.get("text"),
                "buttons": [
                    {"title": b["text"], "payload": b.get("callback_data")}
                    for row in (c.params.get("reply_markup") or {}).get("inline_keyboard", [])
                    for b in row
                ],
            }
            for c in self._last
        ]

    async def say(self, text: str) -> list[dict[str, Any]]:
        sender = updates.user(self.chat, language_code=self.lang)
        return await self._post(updates.text(self.chat, text, sender=sender))

    async def press(self, title: str) -> list[dict[str, Any]]:
        for call in reversed(self._last):
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for b in row:
                    if title.lower() in b["text"].lower():
                        return await self._post(updates.press(call, b["text"]))
        raise LookupError(f"no button {title!r}")

    async def customer_id(self) -> int:
        return await self.shop.customer_of("telegram", str(self.chat))


class SmsCustomer:
    """A phone texting the Twilio webhook; options are answered with their number."""

    channel = "sms"

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.phone = f"+48{next(_phones)}"
        self._last: list[dict[str, Any]] = []

    async def start(self, lang: str) -> None:
        return None

    async def say(self, text: str) -> list[dict[str, Any]]:
        before = len(self.shop.twilio.messages_to(self.phone))
        form = inbound_form(text, from_=self.phone)
        signature = twilio_signature(PUBLIC_URL + "/channels/sms/twilio", form)
        r = await self.shop.http.post(
            "/channels/sms/twilio", data=form, headers={"X-Twilio-Signature": signature}
        )
        assert r.status_code == 200, r.text
        await self.shop.settle()
        self._last = [
            {"text": m.body, "buttons": []}
            for m in self.shop.twilio.messages_to(self.phone)[before:]
        ]
        return self._last

    async def press(self, title: str) -> list[dict[str, Any]]:
        """SMS has no buttons: type the number of the numbered option."""
        text = "\n".join(str(r["text"]) for r in self._last)
        for number, option in re.findall(r"^\s*(\d+)[.)]\s*(.+)$", text, re.M):
            if title.lower() in option.lower():
                return await self.say(number)
        raise LookupError(f"no option {title!r} in {text!r}")

    async def customer_id(self) -> int:
        return await self.shop.customer_of("sms", self.phone)


__all__ = ["SmsCustomer", "TelegramCustomer", "button"]
