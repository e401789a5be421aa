"""A message the customer did not ask for sets what a number picks, like any reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from bot.store import repo
from bot.store.models import Customer
from tests.adapters.sms.fake_twilio import FakeTwilio, post_sms

PHONE = "+48600111222"
NOON = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 12:00 in Warsaw, inside reminder hours


async def test_answering_1_to_a_cart_reminder_starts_the_checkout(
    sms: tuple[FastAPI, httpx.AsyncClient], fake_twilio: FakeTwilio
) -> None:
    app, http = sms
    core = app.state.core
    for n, text in enumerate(["2 duże margherity", "menu"], start=1):
        assert (await post_sms(http, text, from_=PHONE)).status_code == 200
        await fake_twilio.wait_for_messages(n)
    # The last reply offered the menu's categories: "1" would be pizzas.
    assert "1. Pizze" in fake_twilio.messages_to(PHONE)[-1].body

    async with core.sessions() as s:
        await s.execute(update(Customer).values(seen_at=NOON - timedelta(hours=2)))
        await s.commit()
    assert await app.state.runtime.reminders.run_once(NOON) == 1
    reminder = (await fake_twilio.wait_for_messages(3))[-1].body
    assert "1. Zamawiam" in reminder

    assert (await post_sms(http, "1", from_=PHONE)).status_code == 200
    await fake_twilio.wait_for_messages(4)
    async with core.sessions() as s:
        customer_id = (await repo.resolve_customer(s, "sms", PHONE))[0].id
        state = await repo.dialogue_state_of(s, customer_id)
        assert state.flow == "checkout"  # not the pizza list
        cart = await repo.cart_of(s, customer_id)
        assert [(i.product_id, i.size, i.quantity) for i in cart.items] == [
            ("margherita", "large", 2)
        ]
