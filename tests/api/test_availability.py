"""`GET /api/support/availability`: what the widget's header tells customers about people."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from bot.auth import create_user
from tests.conftest import LiveServer, make_settings


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(make_settings(tmp_path, support_hours="08:00-20:00"))
    server.start()
    core = server.app.state.core  # type: ignore[attr-defined]

    async def add() -> None:
        async with core.sessions() as s:
            await create_user(s, "ala@shop.pl", "correct horse", "agent")

    asyncio.run_coroutine_threadsafe(add(), core.loop).result(10)
    yield server
    server.stop()


async def test_an_agent_with_the_console_open_is_online_for_customers(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        before = (await http.get("/api/support/availability")).json()
        assert before["agents_online"] is False
        assert before["support_hours"] == "08:00–20:00"
        assert before["timezone"] == "Europe/Warsaw"
        assert isinstance(before["open_now"], bool)

        r = await http.post(
            "/api/auth/token", data={"username": "ala@shop.pl", "password": "correct horse"}
        )
        bearer = r.json()["access_token"]
        url = server.url.replace("http", "ws") + f"/ws/agent?token={bearer}"
        async with websockets.connect(url) as console:
            await console.send('{"type": "watch", "conversation_id": 999}')
            answered = json.loads(await asyncio.wait_for(console.recv(), 10))
            assert answered["type"] == "error"  # the console is being served
            during = (await http.get("/api/support/availability")).json()
            assert during["agents_online"] is True


async def test_a_failed_login_on_the_console_is_nobody_online(server: LiveServer) -> None:
    url = server.url.replace("http", "ws") + "/ws/agent?token=forged"
    async with websockets.connect(url) as console:
        assert json.loads(await asyncio.wait_for(console.recv(), 10))["type"] == "error"
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get("/api/support/availability")).json()["agents_online"] is False
