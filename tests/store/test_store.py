"""The context store on SQLite and PostgreSQL: same models, same migrations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from bot.store import repo
from bot.store.db import create_engine, session_factory, upgrade_database
from bot.store.models import CartItem, ChannelIdentity, Conversation, Customer, Message


@pytest.fixture
async def sessions(database_url: str):  # type: ignore[no-untyped-def]
    await upgrade_database(database_url)
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


async def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    await upgrade_database(database_url)
    await upgrade_database(database_url)  # a second start changes nothing
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    await engine.dispose()
    expected = {
        "customers",
        "channel_identities",
        "conversations",
        "messages",
        "dialogue_states",
        "carts",
        "cart_items",
        "orders",
        "order_items",
        "link_tokens",
        "users",
        "events",
        "alembic_version",
    }
    assert expected <= tables


async def test_first_contact_creates_one_customer_with_identity_and_conversation(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        customer, created = await repo.resolve_customer(s, "telegram", "42")
        assert created
    async with sessions() as s:
        again, created_again = await repo.resolve_customer(s, "telegram", "42")
        assert not created_again and again.id == customer.id
        conv = await s.scalar(select(Conversation).where(Conversation.customer_id == customer.id))
        assert conv is not None and conv.status == "bot"


async def test_same_address_at_the_same_moment_is_one_customer(sessions) -> None:  # type: ignore[no-untyped-def]
    async def resolve() -> int:
        async with sessions() as s:
            customer, _ = await repo.resolve_customer(s, "sms", "+48600111222")
            return customer.id

    ids = await asyncio.gather(*(resolve() for _ in range(8)))
    assert len(set(ids)) == 1
    async with sessions() as s:
        rows = (await s.scalars(select(ChannelIdentity))).all()
        assert len(rows) == 1


async def test_provider_message_id_is_unique_per_channel(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "sms", "+48600000001")
        conv = await repo.conversation_of(s, customer.id)
        common = {
            "customer_id": customer.id,
            "conversation_id": conv.id,
            "direction": "in",
            "author": "customer",
            "text": "hi",
            "provider_id": "SM1",
        }
        s.add(Message(channel="sms", **common))
        s.add(Message(channel="telegram", **common))  # same id, other channel: fine
        await s.commit()
        s.add(Message(channel="sms", **common))
        with pytest.raises(IntegrityError):
            await s.commit()


async def test_times_come_back_timezone_aware_and_cart_persists(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "webchat", "abc")
        cart = await repo.cart_of(s, customer.id)
        cart.items.append(CartItem(product_id="margherita", size="large", quantity=2))
        await s.commit()
    async with sessions() as s:
        fresh = await s.get(Customer, customer.id)
        assert fresh is not None and fresh.created_at.tzinfo is not None
        assert fresh.created_at <= datetime.now(UTC)
        cart = await repo.cart_of(s, customer.id)
        assert [(i.product_id, i.size, i.quantity) for i in cart.items] == [
            ("margherita", "large", 2)
        ]


async def test_a_joined_customer_resolves_to_the_survivor(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        a, _ = await repo.resolve_customer(s, "telegram", "1")
        b, _ = await repo.resolve_customer(s, "webchat", "w1")
        loser = await s.get(Customer, a.id)
        assert loser is not None
        loser.merged_into_id = b.id
        await s.commit()
    async with sessions() as s:
        found, created = await repo.resolve_customer(s, "telegram", "1")
        assert not created and found.id == b.id
