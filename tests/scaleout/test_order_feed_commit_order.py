"""The orders board misses no change on PostgreSQL, whatever order transactions commit in.

An id is taken when a row is inserted but the row is seen only when its transaction
commits: a change that took an earlier id and commits later than one already shown must
still reach the board. Here another writer (another instance moving order A along) holds
its transaction open while the kitchen accepts order B; B is shown, then A's transaction
commits, then the kitchen accepts C: by the time C is on the board, A is too.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.db import create_engine, session_factory
from bot.store.models import Order, OrderStatusChange, utcnow
from tests.api.test_orders_board import add_staff, login, numbers_in, recv_until, webchat_order
from tests.conftest import LiveServer, live_on_postgres


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with live_on_postgres(tmp_path) as live:
        core: Any = live.app.state.core
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(add_staff(core), core.loop))
        yield live


async def start_confirming(held: AsyncSession, number: str) -> None:
    """Another instance confirms the order in `held`, written (its change has an id) but
    not committed."""
    order = await held.scalar(select(Order).where(Order.number == number))
    assert order is not None
    await held.execute(update(Order).where(Order.id == order.id).values(status="confirmed"))
    held.add(
        OrderStatusChange(
            order_id=order.id,
            status="confirmed",
            previous="new",
            actor="system",
            created_at=utcnow(),
        )
    )
    await held.flush()


async def test_a_change_that_commits_after_a_later_one_still_reaches_the_board(
    server: LiveServer,
) -> None:
    engine = create_engine(server.settings.database_url)
    other_instance = session_factory(engine)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            a, b, c = [(await webchat_order(http))[1] for _ in range(3)]
            headers = await login(http, "kuchnia@shop.pl")
            token = headers["Authorization"].split()[1]
            feed = server.url.replace("http", "ws") + f"/ws/orders?token={token}"
            async with websockets.connect(feed) as ws:
                hello = json.loads(await ws.recv())
                assert sorted(numbers_in([hello])) == sorted([a, b, c])
                async with other_instance() as held:
                    # Another instance starts accepting A: its change has an id, not yet a commit.
                    await start_confirming(held, a)
                    # Meanwhile the kitchen accepts B, committed first; the board shows it.
                    r = await http.post(
                        f"/api/orders/{b}/status", json={"eta_minutes": 15}, headers=headers
                    )
                    assert r.status_code == 200, r.text
                    await recv_until(ws, lambda f, fs: b in numbers_in([f]))
                    await held.commit()
                r = await http.post(
                    f"/api/orders/{c}/status", json={"eta_minutes": 30}, headers=headers
                )
                assert r.status_code == 200, r.text
                frames = await recv_until(ws, lambda f, fs: c in numbers_in([f]))
                shown = {o["number"]: o["status"] for f in frames for o in f.get("orders", [])}
                assert shown.get(a) == "confirmed", shown
    finally:
        await engine.dispose()


async def test_following_the_orders_api_by_position_misses_no_change(server: LiveServer) -> None:
    """The same race read through `GET /api/orders?after=`: the answer after B's holds B and
    gives a position; A, committed later with an earlier id, comes in the next answer."""
    engine = create_engine(server.settings.database_url)
    other_instance = session_factory(engine)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            a, b = [(await webchat_order(http))[1] for _ in range(2)]
            headers = await login(http, "kuchnia@shop.pl")
            first = (await http.get("/api/orders", headers=headers)).json()
            assert sorted(o["number"] for o in first["orders"]) == sorted([a, b])
            async with other_instance() as held:
                await start_confirming(held, a)
                r = await http.post(
                    f"/api/orders/{b}/status", json={"eta_minutes": 15}, headers=headers
                )
                assert r.status_code == 200, r.text
                seen = (await http.get(f"/api/orders?after={first['seq']}", headers=headers)).json()
                assert [(o["number"], o["status"]) for o in seen["orders"]] == [(b, "confirmed")]
                await held.commit()
            later = (await http.get(f"/api/orders?after={seen['seq']}", headers=headers)).json()
            assert [(o["number"], o["status"]) for o in later["orders"]] == [(a, "confirmed")]
            last = (await http.get(f"/api/orders?after={later['seq']}", headers=headers)).json()
            assert last["orders"] == [] and last["seq"] == later["seq"]
    finally:
        await engine.dispose()
