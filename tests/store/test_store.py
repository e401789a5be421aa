"""The context store on SQLite and PostgreSQL: same models, same migrations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from bot.store import repo
from bot.store.db import create_engine, upgrade_database
from bot.store.models import (
    CartItem,
    ChannelIdentity,
    Conversation,
    Customer,
    DialogueState,
    Message,
)
from tests.store.test_turn_reads import statements


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


async def _turn_row(s, customer_id: int) -> repo.TurnRow:  # type: ignore[no-untyped-def]
    row = await repo.turn_context(s, customer_id)
    assert row is not None and row.conversation is not None
    if row.state is None:
        row.state = await repo.dialogue_state_of(s, customer_id)
        await s.commit()
    return row


async def _write(s, row: repo.TurnRow, text: str) -> None:  # type: ignore[no-untyped-def]
    assert row.state is not None and row.conversation is not None
    inbound = Message(
        customer_id=row.customer.id,
        conversation_id=row.conversation.id,
        direction="in",
        author="customer",
        channel="webchat",
        address="abc",
        text=text,
        delivery_status="processed",
    )
    event = repo.event_values("intent", row.customer.id, "webchat", {"intent": "greet"})
    await repo.write_turn(s, state=row.state, event=event, inbound=inbound, replies=[], others=[])


async def test_a_turns_changes_to_loaded_rows_commit_with_it(sessions) -> None:  # type: ignore[no-untyped-def]
    """What a turn changed on loaded rows (the customer's language, a cart line's quantity,
    a cart's reminder) is stored with the turn's message, and `onupdate` times move."""
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "webchat", "abc")
        cart = await repo.cart_of(s, customer.id)
        cart.items.append(CartItem(product_id="margherita", size="large", quantity=2))
        await s.commit()
        cart_updated_before = cart.updated_at
    async with sessions() as s:
        row = await _turn_row(s, customer.id)
        cart = await repo.cart_of(s, customer.id)
        row.customer.language = "en"
        row.customer.name = row.customer.name  # set, unchanged: nothing to write
        cart.items[0].quantity = 3
        cart.reminded_at = datetime.now(UTC)
        await _write(s, row, "three please")
        assert not s.dirty  # written, and the objects say so
    async with sessions() as s:
        fresh = await s.get(Customer, customer.id)
        cart = await repo.cart_of(s, customer.id)
        stored = await s.scalar(select(Message).where(Message.text == "three please"))
        assert fresh is not None and fresh.language == "en"
        assert [i.quantity for i in cart.items] == [3] and cart.reminded_at is not None
        assert cart.updated_at > cart_updated_before
        assert stored is not None


async def test_a_turns_new_rows_commit_with_it(sessions) -> None:  # type: ignore[no-untyped-def]
    """A first dialogue state, a new cart and its lines are stored with the turn's message
    (on SQLite in the turn's one trip: no statement of a flush before it) and are the
    session's loaded rows after, for the next turn in the same session."""
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "webchat", "abc")
    async with sessions() as s:
        row = await repo.turn_context(s, customer.id)
        assert row is not None and row.state is None
        row.state = DialogueState(customer_id=customer.id, slots={"given_name": "Anna"})
        s.add(row.state)
        cart = await repo.cart_of(s, customer.id, row.preloaded)
        cart.items.append(CartItem(product_id="margherita", size="large", quantity=2))
        cart.items.append(CartItem(product_id="hawaii", size="small", quantity=1))
        with statements() as sent:
            await _write(s, row, "two please")
        if s.get_bind().dialect.name == "sqlite":
            assert sent == []
        assert not s.new and not s.dirty
        assert inspect(cart).persistent and inspect(row.state).persistent
        assert cart.id is not None and all(i.cart_id == cart.id for i in cart.items)
        # The next turn of the same session (a queue drained): a line more, one changed.
        row = await _turn_row(s, customer.id)
        cart = await repo.cart_of(s, customer.id, row.preloaded)
        cart.items[0].quantity = 3
        cart.items.append(CartItem(product_id="diavola", size="medium", quantity=1))
        await _write(s, row, "and a diavola")
    async with sessions() as s:
        state = await s.get(DialogueState, customer.id)
        assert state is not None and state.slots == {"given_name": "Anna"}
        cart = await repo.cart_of(s, customer.id)
        assert [(i.product_id, i.quantity) for i in cart.items] == [
            ("margherita", 3),
            ("hawaii", 1),
            ("diavola", 1),
        ]
        texts = list(await s.scalars(select(Message.text).order_by(Message.id)))
        assert texts == ["two please", "and a diavola"]


async def test_a_turns_removed_lines_are_deleted_with_it(sessions) -> None:  # type: ignore[no-untyped-def]
    """Lines taken out of the cart (one swapped for another size, one changed and then
    taken out) are deleted with the turn's message (on SQLite in its one trip, no flush
    before it) and are gone from the session after, for the next turn in the same session."""
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "webchat", "abc")
        cart = await repo.cart_of(s, customer.id)
        cart.items.extend(
            [
                CartItem(product_id="margherita", size="large", quantity=2),
                CartItem(product_id="hawaii", size="small", quantity=1),
                CartItem(product_id="diavola", size="medium", quantity=1),
            ]
        )
        await s.commit()
    async with sessions() as s:
        row = await _turn_row(s, customer.id)
        cart = await repo.cart_of(s, customer.id, row.preloaded)
        margherita, hawaii, diavola = cart.items
        cart.items.remove(margherita)  # "make it a small one instead"
        cart.items.append(CartItem(product_id="margherita", size="small", quantity=2))
        hawaii.quantity = 3
        cart.items.remove(hawaii)  # "no, no hawaii at all"
        with statements() as sent:
            await _write(s, row, "small margherita, no hawaii")
        if s.get_bind().dialect.name == "sqlite":
            assert sent == []
        assert not s.new and not s.dirty and not s.deleted
        for gone in (margherita, hawaii):
            assert inspect(gone).was_deleted and gone not in s
        # The next turn of the same session: the last old line goes too.
        row = await _turn_row(s, customer.id)
        cart = await repo.cart_of(s, customer.id, row.preloaded)
        cart.items.remove(diavola)
        await _write(s, row, "and no diavola")
    async with sessions() as s:
        cart = await repo.cart_of(s, customer.id)
        assert [(i.product_id, i.size, i.quantity) for i in cart.items] == [
            ("margherita", "small", 2)
        ]
        left = list(await s.scalars(select(CartItem.product_id)))
        assert left == ["margherita"]
        texts = list(await s.scalars(select(Message.text).order_by(Message.id)))
        assert texts == ["small margherita, no hawaii", "and no diavola"]


async def test_a_turn_whose_new_cart_clashes_stores_nothing(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "webchat", "abc")
    async with sessions() as s:
        row = await _turn_row(s, customer.id)
        cart = await repo.cart_of(s, customer.id, row.preloaded)
        cart.items.append(CartItem(product_id="margherita", size="large", quantity=2))
        async with sessions() as other:  # the customer added something elsewhere meanwhile
            theirs = await repo.cart_of(other, customer.id)
            theirs.items.append(CartItem(product_id="hawaii", size="small", quantity=1))
            await other.commit()
        with pytest.raises(IntegrityError):
            await _write(s, row, "two please")
    async with sessions() as s:
        cart = await repo.cart_of(s, customer.id)
        assert [(i.product_id, i.quantity) for i in cart.items] == [("hawaii", 1)]
        assert await s.scalar(select(Message).where(Message.text == "two please")) is None


async def test_a_turn_whose_loaded_row_was_deleted_meanwhile_stores_nothing(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "webchat", "abc")
        cart = await repo.cart_of(s, customer.id)
        cart.items.append(CartItem(product_id="margherita", size="large", quantity=2))
        await s.commit()
    async with sessions() as s:
        row = await _turn_row(s, customer.id)
        cart = await repo.cart_of(s, customer.id)
        item = cart.items[0]
        async with sessions() as other:  # the customer emptied the cart elsewhere
            gone = await other.get(CartItem, item.id)
            await other.delete(gone)
            await other.commit()
        item.quantity = 5
        row.customer.language = "en"
        with pytest.raises(StaleDataError):
            await _write(s, row, "five please")
    async with sessions() as s:
        fresh = await s.get(Customer, customer.id)
        assert fresh is not None and fresh.language is None
        assert await s.scalar(select(Message).where(Message.text == "five please")) is None


async def test_a_returning_chat_gets_again_what_was_stored_just_before_its_newest(sessions) -> None:  # type: ignore[no-untyped-def]
    """The catch-up rule of the web chat (history and socket alike): after `after`, and
    again the messages stored in the window before it; not older ones, not private notes."""
    now = datetime.now(UTC)
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "webchat", "returning")
        conv = await repo.conversation_of(s, customer.id)

        def message(text: str, minutes_ago: float, private: bool = False) -> Message:
            return Message(
                customer_id=customer.id,
                conversation_id=conv.id,
                direction="out",
                author="bot",
                channel="webchat",
                text=text,
                private=private,
                created_at=now - timedelta(minutes=minutes_ago),
            )

        rows = [
            message("long ago", 10),
            message("just before", 1.5),
            message("a note", 1, private=True),
            message("shown newest", 0.5),
            message("not yet shown", 0),
        ]
        for row in rows:  # ids in this order
            s.add(row)
            await s.flush()
        await s.commit()
        shown = rows[3].id
        texts = [m.text for m in await repo.catch_up(s, customer.id, after=shown)]
        assert texts == ["just before", "shown newest", "not yet shown"]
        everything = [m.text for m in await repo.catch_up(s, customer.id)]
        assert everything == ["long ago", "just before", "shown newest", "not yet shown"]
