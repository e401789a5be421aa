"""A "Continue in Telegram" link forwarded by a stranger: the real app, its web chat API and
the fake Bot API. A Telegram customer with a history is asked before any join; a new one
joins at once."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from bot.store.models import ChannelIdentity
from tests.adapters.telegram import updates
from tests.adapters.telegram.conftest import TelegramApp
from tests.adapters.telegram.fake_api import Call

VICTIM_WORDS = "poproszę dwie duże margherity na Długą 5"


class WebChat:
    """One web chat session of the app, through its REST API."""

    def __init__(self, tg: TelegramApp, token: str) -> None:
        self.tg, self.token, self.sent = tg, token, 0

    @classmethod
    async def open(cls, tg: TelegramApp) -> WebChat:
        r = await tg.http.post("/api/webchat/sessions")
        return cls(tg, str(r.json()["session_token"]))

    async def send(self, text: str, payload: str | None = None) -> list[dict[str, Any]]:
        self.sent += 1
        body: dict[str, Any] = {"session_token": self.token, "client_message_id": f"m{self.sent}"}
        body.update({"text": text, **({"payload": payload} if payload else {})})
        r = await self.tg.http.post("/api/webchat/messages", json=body)
        assert r.status_code == 200, r.text
        return list(r.json()["replies"])

    async def telegram_link(self) -> str:
        """The token of the "Continue in Telegram" deep link this chat is offered."""
        replies = await self.send("Połącz z Telegramem", "/link_channels")
        found = re.search(r"t\.me/\w+\?start=([\w-]+)", " ".join(m["text"] for m in replies))
        assert found, replies
        return found.group(1)

    async def history(self) -> list[dict[str, Any]]:
        r = await self.tg.http.get("/api/webchat/history", params={"token": self.token})
        assert r.status_code == 200, r.text
        return list(r.json()["messages"])


async def telegram_says(tg: TelegramApp, chat: int, update: dict[str, Any]) -> Call:
    """Post an update as Telegram would; the bot's last message to the chat."""
    before = len([c for c in tg.fake.calls_to("sendMessage") if c.status == 200])
    await tg.post(update)
    sent = await tg.fake.wait_for("sendMessage", before + 1)
    return [c for c in sent if c.params["chat_id"] == chat][-1]


def buttons(sent: Call) -> list[str]:
    markup = sent.params.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def customer_of(tg: TelegramApp, channel: str, address: str | None = None) -> int:
    async with tg.core.sessions() as session:
        query = select(ChannelIdentity.customer_id).where(ChannelIdentity.channel == channel)
        if address is not None:
            query = query.where(ChannelIdentity.address == address)
        ids = list(await session.scalars(query))
    assert len(ids) == 1, ids
    return ids[0]


async def test_a_forwarded_link_shows_nothing_of_a_telegram_customer_to_the_web_chat(
    tg: TelegramApp,
) -> None:
    victim = 4301
    await telegram_says(tg, victim, updates.text(victim, VICTIM_WORDS))
    attacker = await WebChat.open(tg)
    link = await attacker.telegram_link()

    asked = await telegram_says(tg, victim, updates.text(victim, f"/start {link}"))
    assert "Potwierdź tylko, jeśli to Ty" in asked.params["text"]
    assert len(buttons(asked)) == 2
    seen = await attacker.history()
    assert all(m["channel"] == "webchat" for m in seen), seen
    assert VICTIM_WORDS not in [m["text"] for m in seen]

    refused = await telegram_says(tg, victim, updates.press(asked, buttons(asked)[1]))
    assert "Nie połączyłem" in refused.params["text"]
    seen = await attacker.history()
    assert all(m["channel"] == "webchat" for m in seen), seen
    assert await customer_of(tg, "telegram") != await customer_of(tg, "webchat")
    # What the victim writes afterwards stays theirs too, and the link is spent.
    await telegram_says(tg, victim, updates.text(victim, "a gdzie jest moje zamówienie?"))
    again = await telegram_says(tg, victim, updates.text(victim, f"/start {link}"))
    assert "nieprawidłowy" in again.params["text"]
    seen = await attacker.history()
    assert all(m["channel"] == "webchat" for m in seen), seen
    assert await customer_of(tg, "telegram") != await customer_of(tg, "webchat")


async def test_a_telegram_customer_with_a_history_joins_after_saying_yes(tg: TelegramApp) -> None:
    chat = 4302
    await telegram_says(tg, chat, updates.text(chat, VICTIM_WORDS))
    web = await WebChat.open(tg)
    link = await web.telegram_link()
    asked = await telegram_says(tg, chat, updates.text(chat, f"/start {link}"))
    joined = await telegram_says(tg, chat, updates.press(asked, buttons(asked)[0]))
    assert "Połączyłem" in joined.params["text"]
    assert await customer_of(tg, "telegram") == await customer_of(tg, "webchat")
    seen = await web.history()
    assert VICTIM_WORDS in [m["text"] for m in seen if m["channel"] == "telegram"]


async def test_a_new_telegram_user_joins_at_once(tg: TelegramApp) -> None:
    web = await WebChat.open(tg)
    await web.send("poproszę dużą pepperoni")
    link = await web.telegram_link()
    chat = 4303
    joined = await telegram_says(tg, chat, updates.text(chat, f"/start {link}"))
    assert "Połączyłem" in joined.params["text"]
    assert await customer_of(tg, "telegram") == await customer_of(tg, "webchat")
    seen = await web.history()
    assert "/start" in [m["text"] for m in seen if m["channel"] == "telegram"]
