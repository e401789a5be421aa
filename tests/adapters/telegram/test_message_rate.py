"""One Telegram chat flooding the bot: everything is stored (agents see it), only what fits
`MESSAGES_PER_MINUTE` is answered, one notice per window says so; other customers are
unaffected."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from bot.store.models import Conversation, Message
from tests.adapters.telegram import updates
from tests.adapters.telegram.conftest import telegram_app
from tests.adapters.telegram.fake_api import FakeTelegramAPI


async def test_a_flooding_telegram_chat_is_stored_but_answered_at_the_rate(
    tmp_path: Path, fake: FakeTelegramAPI
) -> None:
    async with telegram_app(tmp_path, fake, messages_per_minute=3) as tg:
        for n in range(6):
            assert (await tg.post(updates.text(111, f"menu {n}"))).status_code == 200
        assert (await tg.post(updates.text(222, "menu"))).status_code == 200
        async with tg.core.sessions() as session:
            inbound = list(
                await session.scalars(
                    select(Message).where(Message.direction == "in").order_by(Message.id)
                )
            )
        flood = [m for m in inbound if m.address == "111"]
        assert [m.text for m in flood] == [f"menu {n}" for n in range(6)]  # nothing lost
        assert [m.delivery_status for m in flood].count("throttled") == 3
        throttled = [m for m in flood if m.delivery_status == "throttled"]
        outbound = await tg.settled_outbound()
        to_flooder = [m.in_reply_to_id for m in outbound if m.address == "111"]
        # Three answers, and one notice to the first message over the rate, no more.
        assert sorted(to_flooder) == [m.id for m in flood[:3]] + [throttled[0].id]
        assert [m.address for m in outbound].count("222") == 1


async def test_no_notice_while_an_agent_has_the_conversation(
    tmp_path: Path, fake: FakeTelegramAPI
) -> None:
    async with telegram_app(tmp_path, fake, messages_per_minute=1) as tg:
        assert (await tg.post(updates.text(111, "menu"))).status_code == 200
        async with tg.core.sessions() as session:
            await session.execute(update(Conversation).values(status="agent"))
            await session.commit()
        for n in range(3):
            assert (await tg.post(updates.text(111, f"hello? {n}"))).status_code == 200
        async with tg.core.sessions() as session:
            statuses = list(
                await session.scalars(
                    select(Message.delivery_status).where(Message.direction == "in")
                )
            )
        assert statuses.count("throttled") == 3
        outbound = await tg.settled_outbound()
        assert len(outbound) == 1  # the answer to "menu"; the agent reads the rest
