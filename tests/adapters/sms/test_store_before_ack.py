"""Twilio is answered once the SMS is stored; the reply follows through the REST API."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from fastapi import FastAPI

from tests.adapters.sms.conftest import answered, sms_app, sms_settings, stored_messages
from tests.adapters.sms.fake_twilio import FakeTwilio, post_sms

PHONE = "+48600111222"


async def test_the_webhook_answers_before_a_slow_twilio_accepts_the_reply(
    sms: tuple[FastAPI, object], fake_twilio: FakeTwilio
) -> None:
    app, client = sms
    fake_twilio.accept_delay = 5.0
    response = await post_sms(client, "menu", from_=PHONE)  # type: ignore[arg-type]
    answered_at = time.monotonic()
    assert response.status_code == 200
    assert "<Message" not in response.text  # the reply goes by REST, not TwiML
    [reply] = await fake_twilio.wait_for_messages(1, within=20)
    assert answered_at < reply.accepted_at  # answered before the send completed
    await answered(app)
    assert fake_twilio.requests_received == 1  # and sent once
    out = [m for m in await stored_messages(app) if m.direction == "out"]
    assert [m.provider_id for m in out] == [reply.sid]


async def test_an_acknowledged_sms_survives_a_crash_before_its_reply_is_sent(
    tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    settings = sms_settings(tmp_path, fake_twilio.url)
    async with sms_app(settings) as (app, client):
        stalled = asyncio.Event()

        async def stall(message_ids: list[int]) -> None:
            await stalled.wait()  # the reply never gets sent before the "crash"

        app.state.core.deliver = stall
        # Nor by the outbox, which the stored reply wakes (it would claim the row and send it,
        # or die mid-send with it: an SMS whose sending is uncertain is never sent again).
        await app.state.core.outbox.stop()
        assert (await post_sms(client, "menu", from_=PHONE, sid="SM" + "1" * 32)).status_code == 200
        # Stored with its reply by the time Twilio hears back.
        inbound, reply_row = await stored_messages(app)
        assert (inbound.direction, reply_row.direction) == ("in", "out")
        assert reply_row.delivery_status == "pending"
        await crash(app)
    assert fake_twilio.messages == []

    async with sms_app(settings) as (app, client):
        [reply] = await fake_twilio.wait_for_messages(1)
        assert reply.to == PHONE
        # Twilio's retry of the same SMS is recognised: stored and answered once.
        assert (await post_sms(client, "menu", from_=PHONE, sid="SM" + "1" * 32)).status_code == 200
        await answered(app)
        inbound = [m for m in await stored_messages(app) if m.direction == "in"]
        assert [m.delivery_status for m in inbound] == ["processed"]
    assert fake_twilio.requests_received == 1


async def test_an_sms_acknowledged_during_another_turn_survives_a_crash_before_its_answer(
    tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    settings = sms_settings(tmp_path, fake_twilio.url)
    async with sms_app(settings) as (app, client):
        assert (await post_sms(client, "cześć", from_=PHONE)).status_code == 200
        await answered(app)
        customer_id = (await stored_messages(app))[0].customer_id
        stalled = asyncio.Event()

        async def stall(customer_id: int) -> None:
            await stalled.wait()  # the turn never gets to run before the "crash"

        app.state.core.answer_pending = stall
        # The customer's previous turn still runs: the webhook does not wait for it.
        async with app.state.core.locks.hold(customer_id):
            response = await post_sms(client, "menu", from_=PHONE, sid="SM" + "2" * 32)
        assert response.status_code == 200
        last = (await stored_messages(app))[-1]
        assert (last.direction, last.delivery_status) == ("in", "received")
        await crash(app)
    assert len(fake_twilio.messages) == 1  # the greeting's reply only

    async with sms_app(settings) as (app, client):
        await fake_twilio.wait_for_messages(2)
        await answered(app)
        inbound = [m for m in await stored_messages(app) if m.direction == "in"]
        assert [m.delivery_status for m in inbound] == ["processed", "processed"]
    assert fake_twilio.requests_received == 2


async def crash(app: FastAPI) -> None:
    """kill -9: the work the webhook left running dies with the process."""
    adapter = next(a for a in app.state.runtime.adapters if a.name == "sms")
    answering = list(adapter._answering)
    for task in answering:
        task.cancel()
    await asyncio.gather(*answering, return_exceptions=True)
