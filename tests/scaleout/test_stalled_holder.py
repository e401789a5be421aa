"""A lock holder that stalls past its lock's lifetime cannot commit over a newer holder.

Two instances on one PostgreSQL and one Redis. Instance A takes a customer's message and
freezes in the middle of the turn (its whole event loop blocked, as in a long pause or a
frozen VM: not even the lock's renewal runs). The lock expires; the customer writes again
through instance B, which takes over and answers both messages, in order. Then A wakes
up and tries to commit its turn: refused. Every message is answered exactly once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from bot.store.db import create_engine, session_factory
from bot.store.models import Message
from tests.conftest import LiveServer, live_instances, postgres_database


class StallingInterpreter:
    """Freezes the whole instance (a blocking wait on its event loop) on the text "stall"."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    async def aparse(self, text: str, lang: str | None = None) -> dict[str, Any]:
        if text == "stall":
            self.entered.set()
            self.release.wait(60)  # the freeze under test: the whole event loop stops
        return dict(await self.inner.aparse(text, lang))


def fenced_commits() -> float:
    # Both instances run in this process: one registry.
    return REGISTRY.get_sample_value("omnibot_fenced_commits_total") or 0.0


@pytest.fixture
async def pair(tmp_path: Path, redis_url: str) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    async with postgres_database() as database_url:
        async with live_instances(
            tmp_path, database_url, redis_url, customer_lock_seconds=1.0
        ) as servers:
            yield servers


async def test_a_stalled_holder_cannot_commit_and_messages_stay_in_order(
    pair: tuple[LiveServer, LiveServer],
) -> None:
    a, b = pair
    core_a = a.app.state.core  # type: ignore[attr-defined]
    stalling = StallingInterpreter(core_a.interpreter)
    core_a.interpreter = stalling
    fenced_before = fenced_commits()
    async with httpx.AsyncClient(timeout=60) as http:
        token = (await http.post(f"{b.url}/api/webchat/sessions")).json()["session_token"]

        async def send(server: LiveServer, text: str, cid: str) -> httpx.Response:
            return await http.post(
                f"{server.url}/api/webchat/messages",
                json={"session_token": token, "text": text, "client_message_id": cid},
            )

        # A conversation under way (its dialogue state exists): a stale commit would go
        # through unless the store refuses it.
        hello = await send(b, "cześć", "m0")
        assert hello.status_code == 200 and hello.json()["replies"]
        first = asyncio.create_task(send(a, "stall", "m1"))
        assert await asyncio.to_thread(stalling.entered.wait, 30)
        # A is frozen holding the lock. The customer writes again, through B: B waits for
        # A's lock to expire, takes over and answers both messages.
        second = await send(b, "menu", "m2")
        assert second.status_code == 200 and second.json()["replies"]
        stalling.release.set()  # A wakes up and tries to commit its turn
        first_response = await first
    assert first_response.status_code == 200

    engine = create_engine(a.settings.resolved_database_url())
    async with session_factory(engine)() as session:
        rows = list(await session.scalars(select(Message).order_by(Message.id)))
    await engine.dispose()
    inbound = [m for m in rows if m.direction == "in"]
    assert [m.text for m in inbound] == ["cześć", "stall", "menu"]
    inbound = inbound[1:]
    assert all(m.delivery_status == "processed" for m in inbound)
    replies = {m.id: [r for r in rows if r.in_reply_to_id == m.id] for m in inbound}
    assert all(replies[m.id] for m in inbound)
    # A's turn was refused at its commit: the first message has one turn's replies (B's),
    # not two copies of them.
    first_texts = [r.text for r in replies[inbound[0].id]]
    assert len(first_texts) == len(set(first_texts))
    first_ids = [r.id for r in replies[inbound[0].id]]
    second_ids = [r.id for r in replies[inbound[1].id]]
    assert max(first_ids) < min(second_ids)  # answered in order
    # A's response shows the replies B stored for its message: the customer sees them once.
    assert [r["id"] for r in first_response.json()["replies"]] == first_ids
    assert fenced_commits() == fenced_before + 1
