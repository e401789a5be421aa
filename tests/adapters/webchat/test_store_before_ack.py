"""A web chat message stored just before a crash is answered once, after the restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.store.models import Message
from tests.conftest import make_settings, running_app


async def count(app: Any, **where: Any) -> int:
    async with app.state.core.sessions() as session:
        return int(await session.scalar(select(func.count(Message.id)).filter_by(**where)) or 0)


async def test_a_message_stored_before_a_crash_is_answered_once_after_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    body = {"text": "menu", "client_message_id": "c-1"}
    async with running_app(settings) as (app, http):
        token = (await http.post("/api/webchat/sessions")).json()["session_token"]
        stored = asyncio.Event()

        async def stall(*args: Any, **kwargs: Any) -> Any:
            stored.set()
            await asyncio.Event().wait()  # the turn never runs before the "crash"

        app.state.core.process_pending = stall
        sending = asyncio.create_task(
            http.post("/api/webchat/messages", json={"session_token": token, **body})
        )
        await asyncio.wait_for(stored.wait(), 15)
        assert await count(app, direction="in", delivery_status="received") == 1
        sending.cancel()  # the process dies; the browser never got an answer
        await asyncio.gather(sending, return_exceptions=True)

    async with running_app(settings) as (app, http):
        # The widget sends the unanswered message again, with the same id.
        response = await http.post("/api/webchat/messages", json={"session_token": token, **body})
        assert response.status_code == 200
        assert response.json()["replies"]
        assert await count(app, direction="in") == 1
        assert await count(app, direction="out") == len(response.json()["replies"])
