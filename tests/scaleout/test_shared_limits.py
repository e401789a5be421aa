"""Rate limits hold across instances (kept in Redis), keyed by the address the proxy reports."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.auth import create_user
from bot.store.db import create_engine, session_factory, upgrade_database
from tests.conftest import LiveServer, make_settings, postgres_database

LIMITS = {
    "webchat_new_sessions_per_ip": 3,
    "login_attempts_per_account": 3,
    "messages_per_minute": 4,
}


@pytest.fixture
async def pair(tmp_path: Path, redis_url: str) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    async with postgres_database() as database_url:
        await upgrade_database(database_url)
        engine = create_engine(database_url)
        async with session_factory(engine)() as session:
            await create_user(session, "ala@shop.pl", "correct horse", "agent")
        await engine.dispose()
        servers = []
        for name in ("a", "b"):
            settings = make_settings(
                tmp_path / name, database_url=database_url, redis_url=redis_url, **LIMITS
            )
            server = LiveServer(settings)
            await asyncio.to_thread(server.start)
            servers.append(server)
        yield servers[0], servers[1]
        for server in servers:
            await asyncio.to_thread(server.stop)


def via_proxy(client: str) -> dict[str, str]:
    # The test talks from 127.0.0.1, which FORWARDED_ALLOW_IPS trusts by default: a proxy.
    return {"X-Forwarded-For": client}


async def test_limits_hold_across_two_instances(pair: tuple[LiveServer, LiveServer]) -> None:
    a, b = pair
    async with httpx.AsyncClient(timeout=30) as http:
        codes = []
        for server in (a, b, a, b):
            r = await http.post(f"{server.url}/api/webchat/sessions", headers=via_proxy("1.2.3.4"))
            codes.append(r.status_code)
        assert codes == [200, 200, 200, 429]  # 3 per address in all, not 3 per instance
        # Another visitor behind the same proxy has a budget of their own.
        r = await http.post(f"{b.url}/api/webchat/sessions", headers=via_proxy("5.6.7.8"))
        assert r.status_code == 200
        token = r.json()["session_token"]

        codes = []
        for n, server in enumerate((a, b, a, b, a)):
            r = await http.post(
                f"{server.url}/api/webchat/messages",
                json={"session_token": token, "text": "menu", "client_message_id": f"m{n}"},
            )
            codes.append(r.status_code)
        assert codes == [200, 200, 200, 200, 429]

        wrong = {"username": "ala@shop.pl", "password": "guess"}
        codes = [(await http.post(f"{s.url}/api/auth/token", data=wrong)).status_code
                 for s in (a, b, a)]  # fmt: skip
        assert codes == [401, 401, 401]
        right = {"username": "ala@shop.pl", "password": "correct horse"}
        assert (await http.post(f"{b.url}/api/auth/token", data=right)).status_code == 429


async def test_forwarded_addresses_count_only_from_trusted_proxies(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, webchat_new_sessions_per_ip=1, forwarded_allow_ips="10.9.9.9"
    )
    server = LiveServer(settings)
    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            r = await http.post("/api/webchat/sessions", headers=via_proxy("1.1.1.1"))
            assert r.status_code == 200
            # Not from a trusted proxy: a made-up X-Forwarded-For buys no new budget.
            r = await http.post("/api/webchat/sessions", headers=via_proxy("2.2.2.2"))
            assert r.status_code == 429
    finally:
        await asyncio.to_thread(server.stop)
