"""The SDK's async REST client against the fake Twilio, and how its errors map."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from adapters.sms.twilio_api import RebasedHttpClient, TwilioSender
from bot.messages import DeliveryError
from tests.adapters.sms.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio

TO = "+48600111222"


@pytest.fixture
async def sender(fake_twilio: FakeTwilio) -> AsyncIterator[TwilioSender]:
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, fake_twilio.url)
    yield sender
    await sender.close()


async def test_only_twilio_urls_are_rebased() -> None:
    client = RebasedHttpClient("http://127.0.0.1:9999/prefix/")  # aiohttp needs a loop
    assert (
        client.rebase("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?x=1")
        == "http://127.0.0.1:9999/prefix/2010-04-01/Accounts/AC1/Messages.json?x=1"
    )
    assert client.rebase("https://example.com/a") == "https://example.com/a"
    await client.close()


async def test_send_returns_the_message_sid(sender: TwilioSender, fake_twilio: FakeTwilio) -> None:
    sid = await sender.send(TO, "Cześć!")
    [sms] = fake_twilio.messages
    assert sid == sms.sid and sid.startswith("SM") and len(sid) == 34
    assert (sms.to, sms.from_, sms.body) == (TO, FROM_NUMBER, "Cześć!")
    assert (sms.encoding, sms.num_segments) == ("UCS-2", 1)


@pytest.mark.parametrize("code", [21610, 21211, 21614])
async def test_unreachable_recipient_is_permanent(
    sender: TwilioSender, fake_twilio: FakeTwilio, code: int
) -> None:
    fake_twilio.fail_next(code=code)
    with pytest.raises(DeliveryError) as caught:
        await sender.send(TO, "hej")
    assert caught.value.permanent
    assert str(code) in str(caught.value)


async def test_server_error_is_retried(sender: TwilioSender, fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(500)
    with pytest.raises(DeliveryError) as caught:
        await sender.send(TO, "hej")
    assert not caught.value.permanent and caught.value.retry_after is None
    assert await sender.send(TO, "hej")  # the next attempt goes through


async def test_rate_limit_says_when_to_retry(sender: TwilioSender, fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(429, retry_after=7)
    with pytest.raises(DeliveryError) as caught:
        await sender.send(TO, "hej")
    assert caught.value.retry_after == 7 and not caught.value.permanent
    fake_twilio.fail_next(429)  # without Retry-After: the outbox's own backoff
    with pytest.raises(DeliveryError) as caught:
        await sender.send(TO, "hej")
    assert caught.value.retry_after is None and not caught.value.permanent


async def test_wrong_credentials_do_not_blame_the_customer(fake_twilio: FakeTwilio) -> None:
    sender = TwilioSender(ACCOUNT_SID, "wrong-token", FROM_NUMBER, fake_twilio.url)
    try:
        with pytest.raises(DeliveryError) as caught:
            await sender.send(TO, "hej")
    finally:
        await sender.close()
    assert not caught.value.permanent
    assert "20003" in str(caught.value)


async def test_unreachable_api_is_retried() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(DeliveryError) as caught:
            await sender.send(TO, "hej")
    finally:
        await sender.close()
    assert not caught.value.permanent
    assert "unreachable" in str(caught.value)
