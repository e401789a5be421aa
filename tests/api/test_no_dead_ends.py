"""No dead ends: the bot is silent only while a person has the conversation; without anyone
to take it, the customer hears so and may leave a message for the team."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from bot.auth import create_user
from bot.store import repo
from bot.store.models import Conversation, User
from tests.conftest import make_settings, running_app

HUMAN = "/human_handoff"
LEAVE_MESSAGE = "/leave_message"


class Shop:
    def __init__(self, app: Any, http: httpx.AsyncClient) -> None:
        self.app = app
        self.http = http
        self._n = 0

    @property
    def core(self) -> Any:
        return self.app.state.core

    async def customer(self) -> Any:
        token = (await self.http.post("/api/webchat/sessions")).json()["session_token"]

        async def say(text: str = "", payload: str | None = None) -> list[dict[str, Any]]:
            self._n += 1
            body: dict[str, Any] = {"session_token": token, "client_message_id": f"m{self._n}"}
            body |= {"text": text} if text else {}
            body |= {"payload": payload} if payload else {}
            r = await self.http.post("/api/webchat/messages", json=body)
            assert r.status_code == 200, r.text
            return list(r.json()["replies"])

        return say

    async def agent_headers(self) -> dict[str, str]:
        r = await self.http.post(
            "/api/auth/token", data={"username": "ala@shop.pl", "password": "correct horse"}
        )
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def agent_id(self) -> int:
        async with self.core.sessions() as s:
            return int((await s.scalars(select(User.id))).one())

    async def conversation(self) -> Conversation:
        async with self.core.sessions() as s:
            return (await s.scalars(select(Conversation))).one()

    async def cart(self) -> list[tuple[str, str | None, int]]:
        conversation = await self.conversation()
        async with self.core.sessions() as s:
            cart = await repo.cart_of(s, conversation.customer_id)
            return [(i.product_id, i.size, i.quantity) for i in cart.items]


def payloads(replies: list[dict[str, Any]]) -> set[str]:
    return {b["payload"] for r in replies for b in r["buttons"]}


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[Shop]:
    async with open_shop(tmp_path, "00:00-23:59") as s:
        yield s


def open_shop(tmp_path: Path, hours: str) -> Any:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def run() -> AsyncIterator[Shop]:
        async with running_app(make_settings(tmp_path, support_hours=hours)) as (app, http):
            async with app.state.core.sessions() as s:  # type: ignore[attr-defined]
                await create_user(s, "ala@shop.pl", "correct horse", "agent")
            yield Shop(app, http)

    return run()


async def test_while_waiting_for_a_person_the_bot_keeps_helping(shop: Shop) -> None:
    say = await shop.customer()
    agent = await shop.agent_headers()
    async with shop.app.state.presence.connected(await shop.agent_id()):  # console open
        await say("poproszę dużą pepperoni")
        asked = await say("chcę porozmawiać z człowiekiem")
        assert asked and (await shop.conversation()).status == "waiting_agent"

        menu = await say("pokaż menu")
        assert menu and menu[-1]["buttons"], "the menu, while waiting"
        await say("dodaj colę")
        cart = await shop.cart()
        assert ("pepperoni", "large", 1) in cart and any(p == "cola" for p, _, _ in cart)
        halo = await say("halo? jest tam ktoś?")
        assert halo, "never silence while nobody has taken the conversation"
        assert (await shop.conversation()).status == "waiting_agent"

        # The agent sees what the customer wrote while waiting.
        queue = (
            await shop.http.get("/api/agent/conversations?status=waiting_agent", headers=agent)
        ).json()["conversations"]
        assert len(queue) == 1
        detail = (
            await shop.http.get(f"/api/agent/conversations/{queue[0]['id']}", headers=agent)
        ).json()
        customer_texts = [
            m["text"] for m in detail["customer"]["timeline"] if m["author"] == "customer"
        ]
        assert customer_texts[-3:] == ["pokaż menu", "dodaj colę", "halo? jest tam ktoś?"]

        # Once a person has it, the bot is silent.
        cid = queue[0]["id"]
        assert (
            await shop.http.post(f"/api/agent/conversations/{cid}/assign", headers=agent)
        ).status_code == 200
        assert await say("pokaż menu") == []


async def test_with_nobody_online_the_customer_may_leave_a_message(shop: Shop) -> None:
    say = await shop.customer()
    asked = await say("chcę porozmawiać z człowiekiem")
    assert LEAVE_MESSAGE in payloads(asked)  # nobody is promised; a message may be left
    assert (await shop.conversation()).status == "waiting_agent"  # the request is kept
    assert await say("pokaż menu"), "the bot still answers"

    prompt = await say(payload=LEAVE_MESSAGE)
    assert prompt
    confirmed = await say("Proszę o fakturę na firmę, NIP 1234567890")
    assert confirmed
    conversation = await shop.conversation()
    assert conversation.status == "waiting_agent"  # kept for the team in the agent inbox
    assert conversation.handoff_reason == "message_for_team"

    agent = await shop.agent_headers()
    queue = (
        await shop.http.get("/api/agent/conversations?status=waiting_agent", headers=agent)
    ).json()["conversations"]
    detail = (
        await shop.http.get(f"/api/agent/conversations/{queue[0]['id']}", headers=agent)
    ).json()
    assert "Proszę o fakturę na firmę, NIP 1234567890" in detail["customer"]["summary"]
    assert await say("co mam w koszyku?"), "and the bot keeps helping meanwhile"


async def test_out_of_hours_the_customer_hears_the_hours_and_may_leave_a_message(
    tmp_path: Path,
) -> None:
    now = datetime.now(ZoneInfo("Europe/Warsaw"))
    start = (now + timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=1, minutes=1)).strftime("%H:%M")
    async with open_shop(tmp_path, f"{start}-{end}") as shop:
        say = await shop.customer()
        asked = await say("I want to talk to a human")
        assert f"{start}–{end}" in " ".join(r["text"] for r in asked)
        assert LEAVE_MESSAGE in payloads(asked)
        for text in ["hello? anyone there?", "show me the menu"]:
            assert await say(text), f"silence after {text!r}"
        assert (await shop.conversation()).status == "waiting_agent"


async def test_every_step_of_the_fallback_ladder_offers_a_person(shop: Shop) -> None:
    say = await shop.customer()
    for text in ["qwrty zxcv", "blorp fnord", "xyzzy plugh"]:
        replies = await say(text)
        assert HUMAN in payloads(replies) or LEAVE_MESSAGE in payloads(replies), text
