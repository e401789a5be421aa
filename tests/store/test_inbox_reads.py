"""The agents' inbox is read in a fixed number of statements however long the queue is,
each row with the customer's newest public message and the newest they wrote."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot import handoff
from bot.auth import create_user
from bot.store import repo
from bot.store.models import Conversation, Message, Order, utcnow
from tests.store.test_turn_reads import statements


def said(conversation: Conversation, author: str, text: str, **extra: Any) -> Message:
    values: dict[str, Any] = {"channel": "webchat", "payload": {"buttons": []}, **extra}
    return Message(
        customer_id=conversation.customer_id,
        conversation_id=conversation.id,
        direction="in" if author == "customer" else "out",
        author=author,
        text=text,
        **values,
    )


async def waiting_customers(sessions: Any, first: int, count: int) -> None:  # type: ignore[no-untyped-def]
    """`count` customers waiting for a person, each: a question, the bot's answer, then a
    private note nobody but the staff sees."""
    async with sessions() as s:
        for n in range(first, first + count):
            customer, _ = await repo.resolve_customer(s, "webchat", f"w{n}")
            conversation = await repo.conversation_of(s, customer.id)
            conversation.status = "waiting_agent"
            conversation.waiting_since = utcnow() - timedelta(minutes=100 - n)
            s.add_all(
                [
                    said(conversation, "customer", f"question {n}"),
                    said(conversation, "bot", f"answer {n}"),
                    said(conversation, "agent", f"note {n}", private=True, channel="note"),
                ]
            )
        await s.commit()


async def test_the_inbox_costs_the_same_statements_for_3_or_30_conversations(sessions) -> None:  # type: ignore[no-untyped-def]
    await waiting_customers(sessions, 0, 3)
    async with sessions() as s:
        with statements() as sent_for_3:
            rows = await handoff.list_conversations(s, "waiting_agent")
    assert len(rows) == 3
    await waiting_customers(sessions, 3, 27)
    async with sessions() as s:
        with statements() as sent_for_30:
            rows = await handoff.list_conversations(s, "waiting_agent")
    assert len(rows) == 30
    assert len(sent_for_30) == len(sent_for_3) == 1
    # Oldest waiting first; what was said last to them, and what they asked.
    assert [r["last_customer_message"]["text"] for r in rows] == [
        f"question {n}" for n in range(30)
    ]
    assert {r["last_message"]["text"] for r in rows} == {f"answer {n}" for n in range(30)}


async def test_each_row_shows_its_own_customers_messages_and_owner(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        agent = await create_user(s, "ala@shop.pl", "correct horse", "agent")
        quiet, _ = await repo.resolve_customer(s, "sms", "+48600111222")
        quiet.phone = "+48600111222"
        asked, _ = await repo.resolve_customer(s, "webchat", "asked")
        conversation = await repo.conversation_of(s, asked.id)
        conversation.status = "agent"
        conversation.assigned_agent_id = agent.id
        s.add_all(
            [
                said(conversation, "customer", "where is my pizza?"),
                said(conversation, "agent", "on its way", agent_id=agent.id),
            ]
        )
        await s.commit()
    async with sessions() as s:
        rows = {r["customer_id"]: r for r in await handoff.list_conversations(s, None)}
    assert rows[quiet.id]["last_message"] is None
    assert rows[quiet.id]["last_customer_message"] is None
    assert rows[quiet.id]["assigned_agent"] is None
    # Nameless: known by the number they text from, written as people write it.
    assert rows[quiet.id]["customer_name"] is None
    assert rows[quiet.id]["customer_phone_text"] == "600 111 222"
    assert rows[asked.id]["customer_phone_text"] is None
    assert rows[asked.id]["last_message"]["text"] == "on its way"
    assert rows[asked.id]["last_customer_message"]["text"] == "where is my pizza?"
    assert rows[asked.id]["assigned_agent"] == "ala@shop.pl"


async def test_a_nameless_customer_is_named_as_their_last_checkout_gave(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "sms", "+48600111222")
        customer.phone = "+48600111222"
        for number, name, minutes_ago in [("PZ-10001", "Jan", 60), ("PZ-10002", "Jan Kowalski", 5)]:
            s.add(
                Order(
                    number=number,
                    customer_id=customer.id,
                    contact_name=name,
                    created_at=utcnow() - timedelta(minutes=minutes_ago),
                )
            )
        s.add(Order(number="PZ-10003", customer_id=customer.id, created_at=utcnow()))
        await s.commit()
    async with sessions() as s:
        with statements() as sent:
            [row] = await handoff.list_conversations(s, None)
    assert len(sent) == 1
    assert row["customer_name"] == "Jan Kowalski"
    assert row["customer_phone_text"] == "600 111 222"
