"""Two app instances on one PostgreSQL and one Redis: one customer, wherever they land."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import select

from bot.auth import create_user
from bot.store.db import create_engine, session_factory
from bot.store.models import Message
from tests.conftest import LiveServer, live_instances, postgres_database


@pytest.fixture
async def pair(tmp_path: Path, redis_url: str) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    async with postgres_database() as database_url:
        async with live_instances(tmp_path, database_url, redis_url) as servers:
            yield servers


async def test_a_reply_made_on_one_instance_reaches_a_socket_on_the_other(
    pair: tuple[LiveServer, LiveServer],
) -> None:
    a, b = pair
    async with httpx.AsyncClient() as http:
        token = (await http.post(f"{a.url}/api/webchat/sessions")).json()["session_token"]
        ws_url = b.url.replace("http", "ws") + f"/ws/webchat?token={token}"
        async with websockets.connect(ws_url) as ws:
            r = await http.post(
                f"{a.url}/api/webchat/messages",
                json={"session_token": token, "text": "cześć", "client_message_id": "x1"},
            )
            reply_id = r.json()["replies"][0]["id"]
            async with asyncio.timeout(10):
                while True:
                    frame = json.loads(await ws.recv())
                    if frame.get("type") == "message" and frame["message"]["id"] == reply_id:
                        break


async def test_one_customer_across_instances_is_processed_in_order_and_once(
    pair: tuple[LiveServer, LiveServer],
) -> None:
    a, b = pair
    async with httpx.AsyncClient(timeout=30) as http:
        token = (await http.post(f"{a.url}/api/webchat/sessions")).json()["session_token"]
        texts = ["menu", "koszyk", "pomoc", "cześć"] * 3

        async def send(i: int, text: str) -> httpx.Response:
            server = a if i % 2 else b
            return await http.post(
                f"{server.url}/api/webchat/messages",
                json={"session_token": token, "text": text, "client_message_id": f"c{i}"},
            )

        responses = await asyncio.gather(*(send(i, t) for i, t in enumerate(texts)))
        # The same message sent to both instances at once is stored once.
        dupes = await asyncio.gather(
            *(
                http.post(
                    f"{s.url}/api/webchat/messages",
                    json={"session_token": token, "text": "menu", "client_message_id": "same"},
                )
                for s in (a, b)
            )
        )
    assert all(r.status_code == 200 for r in [*responses, *dupes])
    assert dupes[0].json()["message"]["id"] == dupes[1].json()["message"]["id"]

    engine = create_engine(a.settings.resolved_database_url())
    async with session_factory(engine)() as session:
        rows = list(await session.scalars(select(Message).order_by(Message.id)))
    await engine.dispose()
    inbound = [m for m in rows if m.direction == "in"]
    assert len(inbound) == len(texts) + 1
    # Each message answered exactly once, and replies follow the order messages were stored.
    first_reply = {}
    for m in rows:
        if m.direction == "out" and m.in_reply_to_id not in first_reply:
            first_reply[m.in_reply_to_id] = m.id
    assert sorted(first_reply) == [m.id for m in inbound]
    reply_order = [first_reply[m.id] for m in inbound]
    assert reply_order == sorted(reply_order)


async def test_an_agent_online_on_one_instance_is_online_on_the_other(
    pair: tuple[LiveServer, LiveServer],
) -> None:
    a, b = pair
    engine = create_engine(a.settings.resolved_database_url())
    async with session_factory(engine)() as session:
        await create_user(session, "ala@shop.pl", "correct horse", "agent")
    await engine.dispose()
    async with httpx.AsyncClient(timeout=30) as http:
        assert (await http.get(f"{b.url}/api/support/availability")).json()[
            "agents_online"
        ] is False
        r = await http.post(
            f"{a.url}/api/auth/token",
            data={"username": "ala@shop.pl", "password": "correct horse"},
        )
        url = a.url.replace("http", "ws") + f"/ws/agent?token={r.json()['access_token']}"
        async with websockets.connect(url) as console:
            await console.send('{"type": "watch", "conversation_id": 999}')
            assert json.loads(await asyncio.wait_for(console.recv(), 10))["type"] == "error"
            shown = (await http.get(f"{b.url}/api/support/availability")).json()
            assert shown["agents_online"] is True
