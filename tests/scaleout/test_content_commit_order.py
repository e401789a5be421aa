"""Operator saves on several instances reach every instance, whatever order they commit in.

A version takes its number when it is written but is seen when its save commits: on
PostgreSQL a save can commit after a higher-numbered one was already read. Here one
instance's save (a new margherita price) stays open while another's (a new cola price)
takes the next number and commits; a third instance picks that up, then the first save
commits: the third instance's customers get both prices.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select

from bot.content import store
from bot.content.models import ContentProduct, ContentVersion
from bot.store.db import create_engine, session_factory
from bot.store.models import utcnow
from tests.conftest import LiveServer, live_on_postgres

T = TypeVar("T")
_ids = itertools.count(1)


@pytest.fixture
async def third(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with live_on_postgres(tmp_path) as server:
        yield server


async def on_server(server: LiveServer, work: Coroutine[Any, Any, T]) -> T:
    core: Any = server.app.state.core
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, core.loop))


async def price_answer(http: httpx.AsyncClient, server: LiveServer, question: str) -> str:
    token = (await http.post(f"{server.url}/api/webchat/sessions")).json()["session_token"]
    body = {"session_token": token, "text": question, "client_message_id": f"q{next(_ids)}"}
    r = await http.post(f"{server.url}/api/webchat/messages", json=body)
    assert r.status_code == 200, r.text
    return " ".join(m["text"] for m in r.json()["replies"])


async def test_a_save_that_commits_after_a_higher_numbered_one_still_goes_live(
    third: LiveServer,
) -> None:
    content: Any = third.app.state.content
    engine = create_engine(third.settings.database_url)
    instances = session_factory(engine)
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            assert "24,90 zł" in await price_answer(http, third, "ile kosztuje margherita?")
            async with instances() as first:
                # The first instance's save is written (its version has a number), not committed.
                pizza = await first.scalar(
                    select(ContentProduct).where(ContentProduct.key == "margherita")
                )
                assert pizza is not None
                before = {"prices": dict(pizza.prices)}
                pizza.prices = {**pizza.prices, "small": 2190}
                first.add(
                    ContentVersion(
                        created_at=utcnow(),
                        action="save",
                        summary="save product margherita",
                        changes=[
                            {
                                "kind": "product",
                                "key": "margherita",
                                "before": before,
                                "after": {"prices": pizza.prices},
                            }
                        ],
                    )
                )
                await first.flush()
                # The second instance's save takes the next number and commits first.
                async with instances() as second:
                    cola = await store.get(second, "product", "cola")
                    cola = {**cola, "prices": {k: 850 for k in cola["prices"]}}
                    saved = await store.save(
                        second, [("product", "cola", cola)], None, "save", "save product cola"
                    )
                assert saved is not None
                await on_server(third, content.catch_up())
                assert "8,50 zł" in await price_answer(http, third, "ile kosztuje cola?")
                assert "24,90 zł" in await price_answer(http, third, "ile kosztuje margherita?")
                await first.commit()
            await on_server(third, content.catch_up())
            assert "21,90 zł" in await price_answer(http, third, "ile kosztuje margherita?")
            assert "8,50 zł" in await price_answer(http, third, "ile kosztuje cola?")
    finally:
        await engine.dispose()
