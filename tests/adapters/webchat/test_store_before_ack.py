"""A web chat message cut off by a crash is answered once, when the widget sends it again.

The web chat acknowledges a message with its replies, after the commit that stores both (one
transaction: the message, its dedup key, the turn's changes and the replies). A crash before
that commit leaves no acknowledgement and nothing half-done; the widget resends the message
with the same client_message_id and it is stored and answered once.
"""

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


class Stalled:
    """An NLU that never answers: the turn is under way when the process "dies"."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()

    async def aparse(self, text: str, lang: str | None = None) -> dict[str, Any]:
        self.entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_message_cut_off_by_a_crash_is_answered_once_when_resent(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    body = {"text": "menu", "client_message_id": "c-1"}
    async with running_app(settings) as (app, http):
        token = (await http.post("/api/webchat/sessions")).json()["session_token"]
        stalled = Stalled()
        app.state.core.interpreter = stalled
        sending = asyncio.create_task(
            http.post("/api/webchat/messages", json={"session_token": token, **body})
        )
        await asyncio.wait_for(stalled.entered.wait(), 15)
        sending.cancel()  # the process dies; the browser never got an answer
        await asyncio.gather(sending, return_exceptions=True)
        # Nothing of the turn was committed: no reply the customer never saw.
        assert await count(app, direction="out") == 0

    async with running_app(settings) as (app, http):
        # The widget sends the unanswered message again, with the same id.
        response = await http.post("/api/webchat/messages", json={"session_token": token, **body})
        assert response.status_code == 200
        assert response.json()["replies"]
        again = await http.post("/api/webchat/messages", json={"session_token": token, **body})
        assert again.json()["message"]["id"] == response.json()["message"]["id"]
        assert again.json()["replies"] == response.json()["replies"]
        assert await count(app, direction="in") == 1
        assert await count(app, direction="out") == len(response.json()["replies"])
