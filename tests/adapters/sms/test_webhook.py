"""The SMS channel end to end: signed webhooks in, REST messages out to the fake Twilio."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot.messages import InboundMessage
from bot.store.models import ChannelIdentity, Message
from tests.adapters.sms.conftest import answered, sms_app, sms_settings, stored_messages
from tests.adapters.sms.fake_twilio import (
    FROM_NUMBER,
    PUBLIC_URL,
    WEBHOOK_PATH,
    FakeTwilio,
    inbound_form,
    post_sms,
    twilio_signature,
)

App = tuple[FastAPI, httpx.AsyncClient]
PHONE = "+48600111222"
OPTION = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


def options_in(body: str) -> list[str]:
    return [title for _, title in OPTION.findall(body)]


async def wait_for_status(app: FastAPI, status: str, within: float = 15.0) -> Message:
    """The bot's last outgoing message once it reaches `status`."""
    deadline = time.monotonic() + within
    while True:
        outgoing = [m for m in await stored_messages(app) if m.direction == "out"]
        if outgoing and outgoing[-1].delivery_status == status:
            return outgoing[-1]
        if time.monotonic() > deadline:
            states = [(m.delivery_status, m.last_error) for m in outgoing]
            raise AssertionError(f"no outgoing message became {status!r}: {states}")
        await asyncio.sleep(0.05)


async def test_a_greeting_gets_numbered_options_and_a_number_picks_one(
    sms: App, fake_twilio: FakeTwilio
) -> None:
    app, client = sms
    response = await post_sms(client, "cześć", from_=PHONE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert "<Response" in response.text and "<Message" not in response.text

    [greeting] = await fake_twilio.wait_for_messages(1)
    assert (greeting.to, greeting.from_) == (PHONE, FROM_NUMBER)
    options = options_in(greeting.body)
    assert options[:3] == ["Menu", "Koszyk", "Pomoc"]
    assert greeting.encoding == "UCS-2"  # "Cześć" costs UCS-2

    await post_sms(client, "1", from_=PHONE)
    [_, menu] = await fake_twilio.wait_for_messages(2)
    assert menu.body != greeting.body
    assert menu.body.startswith("Co podać?")
    await answered(app)

    out = [m for m in await stored_messages(app) if m.direction == "out"]
    assert [m.delivery_status for m in out] == ["sent", "sent"]
    assert [m.provider_id for m in out] == [greeting.sid, menu.sid]


async def test_a_long_menu_fits_the_segment_budget_with_every_option(
    sms: App, fake_twilio: FakeTwilio
) -> None:
    _, client = sms
    await post_sms(client, "menu", from_=PHONE)
    [categories] = await fake_twilio.wait_for_messages(1)
    assert options_in(categories.body)
    await post_sms(client, "1", from_=PHONE)
    [_, listing] = await fake_twilio.wait_for_messages(2)
    assert listing.num_segments <= 4
    adds = options_in(listing.body)
    assert adds and all(title.startswith("Dodaj") for title in adds)
    await post_sms(client, str(len(adds)), from_=PHONE)  # the last option still answers
    [*_, added] = await fake_twilio.wait_for_messages(3)
    assert added.body != listing.body


async def test_forged_signature_is_refused_and_nothing_is_stored(
    sms: App, fake_twilio: FakeTwilio
) -> None:
    app, client = sms
    response = await post_sms(client, "cześć", signature="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403
    assert response.json()["detail"] == "invalid X-Twilio-Signature"
    forged_token = await post_sms(client, "cześć", auth_token="not-the-token")
    assert forged_token.status_code == 403
    assert await stored_messages(app) == []
    assert fake_twilio.calls == []


async def test_missing_signature_is_refused(sms: App) -> None:
    app, client = sms
    response = await post_sms(client, "cześć", signed=False)
    assert response.status_code == 403
    assert response.json()["detail"] == "missing X-Twilio-Signature"
    assert await stored_messages(app) == []


async def test_a_signature_for_another_url_or_changed_body_is_refused(sms: App) -> None:
    _, client = sms
    other_host = await post_sms(client, "cześć", public_url="https://attacker.example")
    assert other_host.status_code == 403
    form = inbound_form("cześć", from_=PHONE)
    signature = twilio_signature(PUBLIC_URL + WEBHOOK_PATH, form)
    tampered = {**form, "Body": "wyczyść koszyk"}
    response = await client.post(
        WEBHOOK_PATH, data=tampered, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


async def test_the_query_string_is_part_of_the_signed_url(
    sms: App, fake_twilio: FakeTwilio
) -> None:
    _, client = sms
    form = inbound_form("cześć", from_=PHONE)
    url = f"{PUBLIC_URL}{WEBHOOK_PATH}?shop=1"
    signed = {"X-Twilio-Signature": twilio_signature(url, form)}
    assert (
        await client.post(f"{WEBHOOK_PATH}?shop=1", data=form, headers=signed)
    ).status_code == 200
    assert (
        await client.post(f"{WEBHOOK_PATH}?shop=2", data=form, headers=signed)
    ).status_code == 403
    await fake_twilio.wait_for_messages(1)


async def test_without_public_url_every_webhook_is_refused_with_a_reason(
    tmp_path: Path, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    settings = sms_settings(tmp_path, fake_twilio.url, public_url=None)
    caplog.set_level(logging.WARNING, logger="adapters.sms")
    async with sms_app(settings) as (app, client):
        response = await post_sms(client, "cześć")
        assert response.status_code == 403
        assert "PUBLIC_URL" in response.json()["detail"]
        assert await stored_messages(app) == []
    assert any("PUBLIC_URL" in r.getMessage() for r in caplog.records)


async def test_missing_fields_are_a_client_error(sms: App) -> None:
    app, client = sms
    for field in ("From", "MessageSid"):
        form = inbound_form("cześć", from_=PHONE)
        del form[field]
        response = await post_sms(client, "", form=form)
        assert response.status_code == 400, field
        assert field in response.json()["detail"]
    assert await stored_messages(app) == []


async def test_a_file_upload_is_a_client_error_not_a_crash(sms: App) -> None:
    app, client = sms
    form = inbound_form("cześć", from_=PHONE)
    signature = twilio_signature(PUBLIC_URL + WEBHOOK_PATH, form)
    for headers in ({}, {"X-Twilio-Signature": signature}, {"X-Twilio-Signature": "bm90"}):
        response = await client.post(
            WEBHOOK_PATH,
            data=form,
            files={"MediaUrl0": ("photo.jpg", b"\xff\xd8 not really a photo")},
            headers=headers,
        )
        assert response.status_code in (400, 403), response.text
        assert response.json()["detail"]
    assert await stored_messages(app) == []


async def test_a_retried_webhook_is_processed_once(sms: App, fake_twilio: FakeTwilio) -> None:
    app, client = sms
    first = await post_sms(client, "cześć", from_=PHONE, sid="SM" + "a" * 32)
    again = await post_sms(client, "cześć", from_=PHONE, sid="SM" + "a" * 32)
    assert first.status_code == again.status_code == 200
    assert again.text == first.text
    await answered(app)
    assert len(fake_twilio.messages) == 1
    incoming = [m for m in await stored_messages(app) if m.direction == "in"]
    assert len(incoming) == 1


async def test_a_server_error_is_retried_until_delivered(sms: App, fake_twilio: FakeTwilio) -> None:
    app, client = sms
    fake_twilio.fail_next(500)
    assert (await post_sms(client, "cześć", from_=PHONE)).status_code == 200
    [sms_sent] = await fake_twilio.wait_for_messages(1, within=5)
    assert [c.status for c in fake_twilio.calls] == [500, 201]
    message = await wait_for_status(app, "sent")
    assert message.attempts == 2
    assert message.provider_id == sms_sent.sid


async def test_rate_limiting_waits_as_told(sms: App, fake_twilio: FakeTwilio) -> None:
    app, client = sms
    fake_twilio.fail_next(429, retry_after=0.2)
    await post_sms(client, "cześć", from_=PHONE)
    await fake_twilio.wait_for_messages(1)
    assert (await wait_for_status(app, "sent")).attempts == 2
    refused, accepted = fake_twilio.calls
    assert (refused.status, accepted.status) == (429, 201)
    # Sent again no sooner than Twilio asked (the reply row waits "pending" until then).
    assert accepted.at - refused.at >= 0.2


async def test_an_unsubscribed_number_fails_permanently(sms: App, fake_twilio: FakeTwilio) -> None:
    app, client = sms
    fake_twilio.unsubscribe(PHONE)
    await post_sms(client, "cześć", from_=PHONE)
    message = await wait_for_status(app, "failed")
    assert message.attempts == 1
    assert "21610" in (message.last_error or "")
    async with app.state.core.sessions() as session:
        identity = await session.scalar(
            select(ChannelIdentity).where(ChannelIdentity.address == PHONE)
        )
    assert identity is not None and identity.unreachable
    await asyncio.sleep(0.3)
    assert len(fake_twilio.calls) == 1  # not retried
    assert fake_twilio.messages == []


@pytest.mark.parametrize("keyword", ["HELP", "pomoc", "Info"])
async def test_help_keywords_get_the_help_reply(
    sms: App, fake_twilio: FakeTwilio, keyword: str
) -> None:
    app, client = sms
    await post_sms(client, keyword, from_=PHONE)
    [reply] = await fake_twilio.wait_for_messages(1)
    help_text = app.state.core.dialogue.responses.render("help", "pl")
    assert reply.body.startswith(help_text[:20])
    assert options_in(reply.body)


async def test_opt_out_and_opt_in_reach_the_core(sms: App, monkeypatch: pytest.MonkeyPatch) -> None:
    app, client = sms
    core = app.state.core
    seen: list[InboundMessage] = []
    accept = core.accept_and_answer

    async def spy(inbound: InboundMessage) -> Any:
        seen.append(inbound)
        return await accept(inbound)

    monkeypatch.setattr(core, "accept_and_answer", spy)
    for body in ("STOP", "nie wysyłaj", "START", "cześć"):
        assert (await post_sms(client, body, from_=PHONE)).status_code == 200
    assert [m.meta.get("sms_opt_out") for m in seen] == [True, True, None, None]
    assert [m.meta.get("sms_opt_in") for m in seen] == [None, None, True, None]
    assert all(m.meta["proven_phone"] == PHONE for m in seen)


async def test_after_stop_no_sms_is_sent_until_start(sms: App, fake_twilio: FakeTwilio) -> None:
    app, client = sms
    await post_sms(client, "cześć", from_=PHONE)
    await fake_twilio.wait_for_messages(1)
    customer_id = (await stored_messages(app))[0].customer_id
    await post_sms(client, "STOP", from_=PHONE)
    await answered(app)
    after_stop = len(fake_twilio.messages)
    assert after_stop <= 2  # at most one confirmation of the opt-out
    await post_sms(client, "pokaż menu", from_=PHONE)
    await app.state.core.send_proactive(customer_id, "Twoje zamówienie jest w drodze")
    await asyncio.sleep(1.2)  # an outbox pass
    assert len(fake_twilio.messages) == after_stop
    await post_sms(client, "START", from_=PHONE)
    await post_sms(client, "menu", from_=PHONE)
    await fake_twilio.wait_for_messages(after_stop + 1)


async def test_transliteration_setting_sends_gsm7(tmp_path: Path, fake_twilio: FakeTwilio) -> None:
    settings = sms_settings(tmp_path, fake_twilio.url, sms_transliterate=True)
    async with sms_app(settings) as (_, client):
        await post_sms(client, "cześć", from_=PHONE)
        [greeting] = await fake_twilio.wait_for_messages(1)
    assert greeting.encoding == "GSM-7"
    assert greeting.body.startswith("Czesc!")
    assert "🍕" not in greeting.body
    assert options_in(greeting.body)[:3] == ["Menu", "Koszyk", "Pomoc"]


async def test_max_segments_setting(tmp_path: Path, fake_twilio: FakeTwilio) -> None:
    settings = sms_settings(tmp_path, fake_twilio.url, sms_max_segments=1)
    async with sms_app(settings) as (_, client):
        await post_sms(client, "cześć", from_=PHONE)
        [greeting] = await fake_twilio.wait_for_messages(1)
    assert greeting.num_segments == 1
    assert options_in(greeting.body)[:3] == ["Menu", "Koszyk", "Pomoc"]
