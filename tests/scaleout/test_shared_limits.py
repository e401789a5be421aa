"""Two instances on one PostgreSQL and Redis: rate limits hold across them (kept in Redis),
keyed by the address the proxy reports; an agent assigning on both at once is recorded once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.auth import create_user
from bot.store.db import create_engine, session_factory, upgrade_database
from bot.store.models import Event
from tests.conftest import LiveServer, live_instances, make_settings, postgres_database

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
        async with live_instances(tmp_path, database_url, redis_url, **LIMITS) as servers:
            yield servers


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


async def test_an_agent_assigning_on_both_instances_at_once_is_recorded_once(
    pair: tuple[LiveServer, LiveServer],
) -> None:
    a, b = pair
    async with httpx.AsyncClient(timeout=30) as http:
        form = {"username": "ala@shop.pl", "password": "correct horse"}
        token = (await http.post(f"{a.url}/api/auth/token", data=form)).json()["access_token"]
        staff = {"Authorization": f"Bearer {token}"}
        for n in range(3):
            r = await http.post(f"{a.url}/api/webchat/sessions", headers=via_proxy(f"9.9.9.{n}"))
            session = r.json()["session_token"]
            r = await http.post(
                f"{b.url}/api/webchat/messages",
                json={"session_token": session, "text": "chcę rozmawiać z człowiekiem",
                      "client_message_id": "h"},
            )  # fmt: skip
            assert r.status_code == 200
        queue = await http.get(
            f"{a.url}/api/agent/conversations?status=waiting_agent", headers=staff
        )
        ids = [c["id"] for c in queue.json()["conversations"]]
        assert len(ids) == 3
        for conversation_id in ids:
            both = await asyncio.gather(
                *(http.post(f"{s.url}/api/agent/conversations/{conversation_id}/assign",
                            headers=staff) for s in (a, b))
            )  # fmt: skip
            assert [r.status_code for r in both] == [200, 200]  # the same agent: both fine
    engine = create_engine(a.settings.resolved_database_url())
    async with session_factory(engine)() as session:
        events = await session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == "assigned")
        )
    await engine.dispose()
    assert events == 3
