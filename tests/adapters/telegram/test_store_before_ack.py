"""Telegram never resends an acknowledged update: 200 only once it is stored, and one
chat's updates are answered in Telegram's order however they arrive."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from sqlalchemy import select

from bot.store.models import Message
from tests.adapters.telegram import updates
from tests.adapters.telegram.conftest import (
    SECRET,
    SECRET_HEADER,
    WEBHOOK,
    TelegramApp,
    telegram_app,
)
from tests.adapters.telegram.fake_api import FakeTelegramAPI

CHAT = 5151
TEXTS = ["menu", "koszyk", "pomoc", "cześć", "godziny otwarcia"]


async def test_an_acknowledged_update_survives_a_crash_before_its_reply_is_sent(
    tmp_path: Path, fake: FakeTelegramAPI
) -> None:
    async with telegram_app(tmp_path, fake) as tg:
        stalled = asyncio.Event()

        async def stall(message_ids: list[int]) -> None:
            await stalled.wait()  # the reply never gets sent before the "crash"

        tg.core.deliver = stall  # type: ignore[method-assign]
        response = await tg.http.post(
            WEBHOOK, json=updates.text(CHAT, "menu"), headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 200
        # What Telegram was told arrived is in the store at that moment, with its reply.
        assert await tg.count_messages(direction="in") == 1
        [reply_row] = await tg.outbound()
        assert reply_row.delivery_status == "pending"
        await crash(tg)
        assert not fake.sent_messages()

    async with telegram_app(tmp_path, fake) as restarted:
        [reply] = await fake.wait_for("sendMessage")
        assert reply.params["chat_id"] == CHAT
        assert await restarted.count_messages(direction="in", delivery_status="processed") == 1
        [reply_row] = await restarted.settled_outbound()
        assert (reply_row.delivery_status, reply_row.attempts) == ("sent", 1)
    assert len(fake.sent_messages()) == 1


async def test_an_update_acknowledged_during_another_turn_survives_a_crash_before_its_answer(
    tmp_path: Path, fake: FakeTelegramAPI
) -> None:
    async with telegram_app(tmp_path, fake) as tg:
        await tg.post(updates.text(CHAT, "cześć"))
        identity = await tg.identity(str(CHAT))
        assert identity is not None
        stalled = asyncio.Event()

        async def stall(customer_id: int) -> None:
            await stalled.wait()  # the turn never gets to run before the "crash"

        tg.core.answer_pending = stall  # type: ignore[method-assign]
        # The chat's previous turn still runs: the webhook does not wait for it.
        async with tg.core.locks.hold(identity.customer_id):
            response = await tg.http.post(
                WEBHOOK, json=updates.text(CHAT, "menu"), headers={SECRET_HEADER: SECRET}
            )
        assert response.status_code == 200
        # What Telegram was told arrived is in the store at that moment.
        assert await tg.count_messages(direction="in", delivery_status="received") == 1
        await crash(tg)
        assert len(fake.sent_messages()) == 1  # the greeting's reply only

    async with telegram_app(tmp_path, fake) as restarted:
        await fake.wait_for("sendMessage", 2)
        assert await restarted.count_messages(direction="in") == 2
        assert await restarted.count_messages(direction="in", delivery_status="processed") == 2
    assert len(fake.sent_messages()) == 2


async def crash(tg: TelegramApp) -> None:
    """kill -9: the work the webhooks left running dies with the process."""
    answering = list(tg.adapter._answering)
    for task in answering:
        task.cancel()
    await asyncio.gather(*answering, return_exceptions=True)


async def answered_update_ids(tg_core: object) -> list[int]:
    """The inbound update ids in the order the bot answered them (its replies' order)."""
    async with tg_core.sessions() as session:  # type: ignore[attr-defined]
        rows = list(await session.scalars(select(Message).order_by(Message.id)))
    update_of = {m.id: int(m.provider_id) for m in rows if m.direction == "in"}
    order: list[int] = []
    for m in rows:
        if m.direction == "out" and m.in_reply_to_id is not None:
            update_id = update_of[m.in_reply_to_id]
            if update_id not in order:
                order.append(update_id)
    return order


async def test_forty_updates_of_one_chat_back_to_back_are_answered_in_order(
    tmp_path: Path, fake: FakeTelegramAPI, database_url: str
) -> None:
    async with telegram_app(tmp_path, fake, database_url=database_url) as tg:
        sent = []
        for i in range(40):
            update = updates.text(CHAT, TEXTS[i % len(TEXTS)])
            sent.append(update["update_id"])
            response = await tg.http.post(WEBHOOK, json=update, headers={SECRET_HEADER: SECRET})
            assert response.status_code == 200
        await tg.adapter.drain()
        assert await answered_update_ids(tg.core) == sent


async def test_updates_of_one_chat_arriving_at_once_are_answered_in_telegram_order(
    tmp_path: Path, fake: FakeTelegramAPI, database_url: str
) -> None:
    async with telegram_app(tmp_path, fake, database_url=database_url) as tg:
        first = updates.text(CHAT, "cześć")
        await tg.post(first)
        [accepted] = tg.received
        async with tg.core.sessions() as session:
            customer_id = await session.scalar(
                select(Message.customer_id).where(Message.provider_id == accepted.provider_id)
            )
        assert customer_id is not None
        batch = [updates.text(CHAT, TEXTS[i % len(TEXTS)]) for i in range(40)]
        shuffled = random.Random(7).sample(batch, len(batch))
        # The customer's previous turn is still running (a slow action) while the 40
        # arrive over parallel connections, stored in whatever order they land.
        async with tg.core.locks.hold(customer_id):
            responses = await asyncio.gather(
                *(
                    tg.http.post(WEBHOOK, json=update, headers={SECRET_HEADER: SECRET})
                    for update in shuffled
                )
            )
            assert all(r.status_code == 200 for r in responses)
            assert await tg.count_messages(direction="in") == 41
        await tg.adapter.drain()
        expected = [first["update_id"], *(u["update_id"] for u in batch)]
        assert await answered_update_ids(tg.core) == expected


async def test_a_reply_interrupted_mid_send_is_sent_again(
    tmp_path: Path, fake: FakeTelegramAPI
) -> None:
    """Telegram's policy is at least once: the interrupted reply goes again after a crash."""
    fake.send_delay = 2.0
    async with telegram_app(tmp_path, fake, outbox_sending_lease_seconds=0.5) as tg:
        await tg.http.post(
            WEBHOOK, json=updates.text(CHAT, "menu"), headers={SECRET_HEADER: SECRET}
        )
        deadline = asyncio.get_running_loop().time() + 15
        while not fake.calls_to("sendMessage") and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)  # the request is at Telegram: its outcome is unknown
        await crash(tg)
        [reply_row] = await tg.outbound()
        assert reply_row.delivery_status == "sending"
    fake.send_delay = 0.0

    async with telegram_app(tmp_path, fake, outbox_sending_lease_seconds=0.5) as restarted:
        first, again = await fake.wait_for("sendMessage", 2)
        assert (first.params["chat_id"], first.params["text"]) == (
            again.params["chat_id"],
            again.params["text"],
        )
        [reply_row] = await restarted.settled_outbound()
        assert (reply_row.delivery_status, reply_row.attempts) == ("sent", 1)
