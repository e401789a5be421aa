"""SMS replies interrupted mid-send: settled from Twilio's log, else reported, never
texted twice (unless configured)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from bot.store.models import Message
from tests.adapters.sms.conftest import sms_app, sms_settings, stored_messages
from tests.adapters.sms.fake_twilio import FakeTwilio, post_sms

PHONE = "+48600111222"


async def wait_for_reply_status(app: FastAPI, statuses: set[str], within: float = 20.0) -> Message:
    deadline = time.monotonic() + within
    while True:
        replies = [
            m for m in await stored_messages(app) if m.direction == "out" and m.channel == "sms"
        ]
        if replies and replies[0].delivery_status in statuses:
            return replies[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"reply never became {statuses}: {replies}")
        await asyncio.sleep(0.05)


async def crash_mid_send(data_dir: Path, fake: FakeTwilio, **overrides: Any) -> None:
    """Receive an SMS, then stop the app while Twilio is still accepting the reply:
    the row is left `sending`, as after kill -9."""
    fake.accept_delay = 2.0
    settings = sms_settings(data_dir, fake.url, outbox_sending_lease_seconds=0.5, **overrides)
    async with sms_app(settings) as (app, client):
        await post_sms(client, "menu", from_=PHONE)
        await wait_for_reply_status(app, {"sending"})
        deadline = time.monotonic() + 10
        while fake.requests_received == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)  # the request is at Twilio: its outcome is unknown
        # The process dies here: nothing it was doing finishes (a graceful stop would wait).
        adapter = next(a for a in app.state.runtime.adapters if a.name == "sms")
        answering = list(adapter._answering)
        for task in answering:
            task.cancel()
        await asyncio.gather(*answering, return_exceptions=True)
    fake.accept_delay = 0.0


async def test_an_interrupted_sms_found_in_twilios_log_is_marked_sent_not_resent(
    tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    await crash_mid_send(tmp_path, fake_twilio)
    [sms] = await fake_twilio.wait_for_messages(1)  # Twilio did create it
    settings = sms_settings(tmp_path, fake_twilio.url, outbox_sending_lease_seconds=0.5)
    async with sms_app(settings) as (app, _):
        reply = await wait_for_reply_status(app, {"unknown", "pending", "sent"})
        assert (reply.delivery_status, reply.provider_id) == ("sent", sms.sid)
    assert fake_twilio.requests_received == 1  # texted once


async def test_an_interrupted_sms_twilio_never_created_is_sent(
    tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    await crash_mid_send(tmp_path, fake_twilio)
    await fake_twilio.wait_for_messages(1)
    fake_twilio.reset()  # as if the request had died before Twilio created the message
    settings = sms_settings(tmp_path, fake_twilio.url, outbox_sending_lease_seconds=0.5)
    async with sms_app(settings) as (app, _):
        reply = await wait_for_reply_status(app, {"unknown", "sent"})
        [sms] = await fake_twilio.wait_for_messages(1)
        assert (reply.delivery_status, reply.provider_id) == ("sent", sms.sid)


async def test_without_twilios_log_an_interrupted_sms_is_reported_not_resent(
    tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    await crash_mid_send(tmp_path, fake_twilio)
    fake_twilio.log_available = False
    settings = sms_settings(tmp_path, fake_twilio.url, outbox_sending_lease_seconds=0.5)
    async with sms_app(settings) as (app, _):
        reply = await wait_for_reply_status(app, {"unknown", "pending", "sent"})
        assert reply.delivery_status == "unknown"
        async with app.state.core.sessions() as session:
            notes = list(
                await session.scalars(
                    select(Message).where(Message.private.is_(True), Message.author == "system")
                )
            )
    [note] = notes
    assert note.conversation_id == reply.conversation_id
    assert "may not have reached" in note.text
    # Twilio did get the interrupted request: the customer has the reply exactly once.
    [sms] = await fake_twilio.wait_for_messages(1)
    assert sms.body.startswith(reply.text[:20])


async def test_with_sms_in_outbox_resend_uncertain_the_reply_goes_again(
    tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    await crash_mid_send(tmp_path, fake_twilio, outbox_resend_uncertain="sms")
    fake_twilio.log_available = False
    settings = sms_settings(
        tmp_path, fake_twilio.url, outbox_sending_lease_seconds=0.5, outbox_resend_uncertain="sms"
    )
    async with sms_app(settings) as (app, _):
        reply = await wait_for_reply_status(app, {"unknown", "sent"})
        assert reply.delivery_status == "sent"
    # At least once: the interrupted copy and the resent one.
    assert len(await fake_twilio.wait_for_messages(2)) == 2


async def test_a_twilio_timeout_after_sending_is_not_retried(
    tmp_path: Path, fake_twilio: FakeTwilio, monkeypatch: Any
) -> None:
    import adapters.sms.twilio_api as twilio_api

    monkeypatch.setattr(twilio_api, "DEFAULT_TIMEOUT", 0.3)
    fake_twilio.accept_delay = 1.0
    async with sms_app(sms_settings(tmp_path, fake_twilio.url)) as (app, client):
        await post_sms(client, "menu", from_=PHONE)
        reply = await wait_for_reply_status(app, {"unknown", "sent", "failed"})
        assert reply.delivery_status == "unknown"
        assert reply.attempts == 1
    assert len(await fake_twilio.wait_for_messages(1)) == 1


async def test_a_send_outliving_its_claim_is_not_taken_for_abandoned_by_its_own_process(
    tmp_path: Path, fake_twilio: FakeTwilio, monkeypatch: Any
) -> None:
    from bot.store import repo

    async def renewal_too_late(*args: Any) -> None:
        return None  # a stalled event loop: the claim runs out mid-send

    monkeypatch.setattr(repo, "renew_claim", renewal_too_late)
    fake_twilio.accept_delay = 1.5
    settings = sms_settings(tmp_path, fake_twilio.url, outbox_sending_lease_seconds=0.2)
    async with sms_app(settings) as (app, client):
        await post_sms(client, "menu", from_=PHONE)
        # The reply is `pending` until the outbox claims it: judge it only once Twilio has
        # taken it, when `pending` or `unknown` would mean the send was taken for abandoned.
        await fake_twilio.wait_for_messages(1)
        reply = await wait_for_reply_status(app, {"unknown", "pending", "sent"})
        assert reply.delivery_status == "sent"
    assert fake_twilio.requests_received == 1
