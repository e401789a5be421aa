"""Operator-edited content answers in the dialogue fixtures exactly as on the server."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.auth import create_user
from bot.content import editor, store
from bot.store.models import User
from tests.dialogue.chat import Chat

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_an_operator_reply_answers_its_intent(dialogue_runtime: Runtime) -> None:
    core, content = dialogue_runtime.core, dialogue_runtime.content

    async def save(responses: dict[str, list[str]]) -> None:
        async with core.sessions() as session:
            operator = await session.scalar(select(User).where(User.email == "ola@shop.pl"))
            if operator is None:
                operator = await create_user(session, "ola@shop.pl", "correct horse", "operator")
            current = await store.get(session, "intent", "opening_hours")
            body = {"examples": current["examples"], "responses": responses}
            version = await editor.put_intent(session, "opening_hours", body, operator)
        assert version is not None
        content.changed(version.id)
        assert await content.settled()

    await save({"pl": ["Dziś wyjątkowo do 23:00{name}!"]})
    try:
        reply = await Chat(core).say("do której jesteście otwarci?")
        assert reply.intent == "opening_hours"
        assert reply.text == "Dziś wyjątkowo do 23:00!"
    finally:
        await save({})  # the other tests of this module hear the built-in answer
