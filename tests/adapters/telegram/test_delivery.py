"""Sending: plain text, splitting, keyboards, and Telegram's errors in the outbox's terms."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pydantic._internal._generics as pydantic_generics
import pytest

from adapters.telegram import TelegramAdapter
from bot.messages import Button, DeliveryError, OutboundMessage
from tests.adapters.telegram import updates
from tests.adapters.telegram.conftest import TOKEN, TelegramApp
from tests.adapters.telegram.fake_api import FakeTelegramAPI
from tests.conftest import free_port, make_settings

CHAT = 777


def outbound(text: str, buttons: list[Button] | None = None, **extra: Any) -> OutboundMessage:
    return OutboundMessage(
        id=abs(hash(text)) % 1_000_000,
        customer_id=1,
        channel="telegram",
        address=str(CHAT),
        author="bot",
        text=text,
        buttons=buttons or [],
        created_at=datetime.now(UTC),
        extra=extra,
    )


async def customer_of(tg: TelegramApp, chat: int = CHAT) -> int:
    """A Telegram customer who has written to the bot (and got the greeting)."""
    await tg.post(updates.text(chat, "cześć"))
    await tg.fake.wait_for("sendMessage")
    identity = await tg.identity(str(chat))
    assert identity is not None
    tg.fake.clear_calls()
    return identity.customer_id


async def test_formatting_arrives_literally(tg: TelegramApp) -> None:
    customer = await customer_of(tg)
    text = "<script>alert(1)</script> *bold* _it_ `code` [x](http://e.vil) &amp; <b>"
    await tg.core.send_proactive(customer, text)
    [sent] = await tg.fake.wait_for("sendMessage")
    assert sent.params["text"] == text
    assert "parse_mode" not in sent.params
    assert "reply_markup" not in sent.params


async def test_sending_builds_no_model_class_per_message(
    tg: TelegramApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiogram reads each answer as `Response[Message]`, which pydantic keeps only while
    referred to: a collection between sends made every send build the class again."""
    built: list[str] = []
    build = pydantic_generics.create_generic_submodel

    def counted(name: str, *args: Any) -> Any:
        built.append(name)
        return build(name, *args)

    monkeypatch.setattr(pydantic_generics, "create_generic_submodel", counted)
    for n in range(3):
        gc.collect()
        await tg.adapter.send(outbound(f"reply {n}"))
    assert len(tg.fake.sent_messages()) == 3
    assert built == []


async def test_a_long_reply_is_split_with_the_keyboard_on_the_last_part(tg: TelegramApp) -> None:
    customer = await customer_of(tg)
    paragraphs = [f"Akapit {i}: " + "słowo " * 150 for i in range(12)]  # ~11 000 characters
    text = "\n\n".join(p.strip() for p in paragraphs)
    await tg.core.send_proactive(customer, text, [Button("OK", "/greet")])
    parts = await tg.fake.wait_for("sendMessage", 3)
    [row] = [r for r in await tg.outbound() if r.text == text]
    assert row.delivery_status == "sent"
    assert len(parts) == 3
    assert all(len(p.params["text"]) <= 4096 for p in parts)
    assert all(p.params["text"].startswith("Akapit") for p in parts)  # cut between paragraphs
    assert " ".join(p.params["text"] for p in parts).split() == text.split()
    assert [("reply_markup" in p.params) for p in parts] == [False, False, True]
    assert row.provider_id == f"out:{CHAT}:{parts[-1].result['message_id']}"


async def test_429_retry_after_is_respected(tg: TelegramApp) -> None:
    tg.fake.fail_next("sendMessage", 429, retry_after=1)
    await tg.post(updates.text(CHAT, "cześć"))
    [reply] = await tg.fake.wait_for("sendMessage", within=6)
    [refused, delivered] = tg.fake.calls_to("sendMessage")
    assert refused.status == 429
    assert delivered is reply
    assert delivered.at - refused.at >= 1.0
    [row] = await tg.settled_outbound()
    assert (row.delivery_status, row.attempts) == ("sent", 2)


async def test_a_server_error_is_retried(tg: TelegramApp) -> None:
    tg.fake.fail_next("sendMessage", 500)
    await tg.post(updates.text(CHAT, "cześć"))
    await tg.fake.wait_for("sendMessage", within=6)
    [row] = await tg.settled_outbound()
    assert (row.delivery_status, row.attempts) == ("sent", 2)


async def test_blocked_bot_marks_the_identity_unreachable(tg: TelegramApp) -> None:
    tg.fake.fail_next("sendMessage", 403)
    await tg.post(updates.text(CHAT, "cześć"))
    [row] = await tg.outbound()
    assert row.delivery_status == "failed"
    identity = await tg.identity(str(CHAT))
    assert identity is not None and identity.unreachable
    await tg.core.send_proactive(identity.customer_id, "Twój koszyk czeka!")
    await tg.core.deliver([r.id for r in await tg.outbound()])
    assert len(tg.fake.calls_to("sendMessage")) == 1  # only the refused one


ERRORS = [
    # status, description, permanent, retry_after
    (429, None, False, 3.0),
    (403, "Forbidden: user is deactivated", True, None),
    (400, "Bad Request: chat not found", True, None),
    (400, "Bad Request: message text is empty", False, None),
    (502, None, False, None),
]


async def test_errors_map_to_delivery_errors(tmp_path: Path, fake: FakeTelegramAPI) -> None:
    adapter = bare_adapter(tmp_path, fake.url)
    try:
        for status, description, permanent, retry_after in ERRORS:
            fake.fail_next("sendMessage", status, description=description, retry_after=retry_after)
            with pytest.raises(DeliveryError) as caught:
                await adapter.send(outbound("hej"))
            assert caught.value.permanent is permanent, (status, description)
            assert caught.value.retry_after == retry_after
            assert "123:ABC" not in str(caught.value)
    finally:
        await adapter.bot.session.close()


async def test_an_unreachable_api_is_a_retryable_error(tmp_path: Path) -> None:
    adapter = bare_adapter(tmp_path, f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(DeliveryError) as caught:
            await adapter.send(outbound("hej"))
    finally:
        await adapter.bot.session.close()
    assert not caught.value.permanent


async def test_a_retry_does_not_repeat_the_parts_already_sent(
    tmp_path: Path, fake: FakeTelegramAPI
) -> None:
    adapter = bare_adapter(tmp_path, fake.url)
    message = outbound("a " * 3000, [Button("OK", "/greet")])
    fake.fail_next("sendMessage", 429, after=1)
    try:
        with pytest.raises(DeliveryError):
            await adapter.send(message)
        provider_id = await adapter.send(message)
    finally:
        await adapter.bot.session.close()
    sent = fake.sent_messages()
    assert len(sent) == 2
    assert "reply_markup" in sent[1].params
    assert provider_id == f"out:{CHAT}:{sent[1].result['message_id']}"


async def test_share_my_phone_keyboard(tmp_path: Path, fake: FakeTelegramAPI) -> None:
    adapter = bare_adapter(tmp_path, fake.url)
    title = "📱 Udostępnij numer"
    buttons = [Button("Nie", "/deny")]
    try:
        await adapter.send(outbound("Podasz numer?", buttons, request_phone=True))
        await adapter.send(outbound("", [Button("Menu", "/browse_menu")]))
        await adapter.send(outbound("Podasz?", request_phone=True, request_phone_title=title))
    finally:
        await adapter.bot.session.close()
    first, second, third = fake.sent_messages()
    assert first.params["reply_markup"]["keyboard"] == [[{"text": "📱", "request_contact": True}]]
    assert first.params["reply_markup"]["one_time_keyboard"] is True
    assert second.params["text"]  # Telegram refuses an empty text above buttons
    assert "inline_keyboard" in second.params["reply_markup"]
    assert third.params["reply_markup"]["keyboard"][0][0]["text"] == title


def bare_adapter(data_dir: Path, api_base: str) -> TelegramAdapter:
    """An adapter outside the app, for send() alone (send needs only the settings)."""
    settings = make_settings(data_dir, telegram_bot_token=TOKEN, telegram_api_base=api_base)
    core: Any = SimpleNamespace(settings=settings)
    return TelegramAdapter(core)
