"""A lone "CANCEL" by SMS is Twilio's opt-out keyword (Twilio stops texts to the number
itself), so it opts out here too; a customer with an order that can still be cancelled is
told how to cancel it, and the agents get a note. "Rezygnuję" and "cancel my order" are no
keywords: they cancel the order."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from bot.store.models import Customer, Message, Order
from tests.adapters.sms.conftest import answered, stored_messages
from tests.adapters.sms.fake_twilio import FakeTwilio, post_sms
from tests.dialogue.chat import Chat

PHONE = "+48600111222"


async def order_by_sms(app: FastAPI) -> str:
    """A pickup order placed on the SMS channel (through the core, as the webhook would)."""
    chat = Chat(app.state.core, address=PHONE, channel="sms")
    await chat.say("poproszę dużą margheritę")
    await chat.payload("/checkout")
    await chat.payload('/inform{"fulfilment": "pickup"}')
    await chat.say("Jan, 600 111 222")
    await chat.payload('/inform{"note": ""}')
    await chat.payload('/inform{"confirm": "yes", "payment_method": "cash"}')
    [order] = await chat.orders()
    return str(order.number)


async def order_status(app: FastAPI, number: str) -> str:
    async with app.state.core.sessions() as session:
        return str(await session.scalar(select(Order.status).where(Order.number == number)))


async def test_a_lone_cancel_opts_out_and_says_how_to_cancel_the_order(
    sms: Any, fake_twilio: FakeTwilio
) -> None:
    app, client = sms
    number = await order_by_sms(app)
    await answered(app)
    before = len(fake_twilio.messages_to(PHONE))
    assert (await post_sms(client, "Cancel", from_=PHONE, sid="SMcancel")).status_code == 200
    await answered(app)
    [confirmation] = fake_twilio.messages_to(PHONE)[before:]
    assert number in confirmation.body  # the order it may have meant
    assert await order_status(app, number) == "new"  # a keyword never cancels an order
    async with app.state.core.sessions() as session:
        customer = await session.scalar(select(Customer).join(Message).limit(1))
        assert customer is not None and customer.sms_opt_out
    notes = [m for m in await stored_messages(app) if m.private]
    assert len(notes) == 1 and number in notes[0].text

    # Back in with START, then the words the confirmation gave: the order is cancelled.
    await post_sms(client, "START", from_=PHONE, sid="SMstart")
    await post_sms(client, "anuluj zamówienie", from_=PHONE, sid="SMwords")
    await post_sms(client, "tak", from_=PHONE, sid="SMyes")  # "Are you sure?"
    await answered(app)
    assert await order_status(app, number) == "cancelled"


async def test_rezygnuje_cancels_the_order_and_keeps_texts_on(
    sms: Any, fake_twilio: FakeTwilio
) -> None:
    app, client = sms
    number = await order_by_sms(app)
    await post_sms(client, "Rezygnuję", from_=PHONE, sid="SMrezygnuje")
    await post_sms(client, "tak", from_=PHONE, sid="SMyes")  # "Are you sure?"
    await answered(app)
    assert await order_status(app, number) == "cancelled"
    async with app.state.core.sessions() as session:
        customer = await session.scalar(select(Customer).join(Message).limit(1))
        assert customer is not None and not customer.sms_opt_out


async def test_a_lone_cancel_without_an_open_order_is_a_plain_opt_out(
    sms: Any, fake_twilio: FakeTwilio
) -> None:
    app, client = sms
    await post_sms(client, "CANCEL", from_=PHONE, sid="SMcancel")
    await answered(app)
    assert len(fake_twilio.messages_to(PHONE)) == 1  # the confirmation only
    assert not [m for m in await stored_messages(app) if m.private]
