"""Webhook mode: registration, the secret, and updates turned into answered messages."""

from __future__ import annotations

import json
from pathlib import Path

from bot.messages import Button
from tests.adapters.telegram import updates
from tests.adapters.telegram.conftest import SECRET, TelegramApp, telegram_app
from tests.adapters.telegram.fake_api import FakeTelegramAPI

CHAT = 4242


async def test_start_registers_the_webhook_with_the_secret(tg: TelegramApp) -> None:
    assert tg.fake.calls_to("getMe")
    assert tg.fake.webhook is not None
    assert tg.fake.webhook["url"] == "https://bot.example/channels/telegram/webhook"
    assert tg.fake.webhook["secret_token"] == SECRET
    assert "callback_query" in tg.fake.webhook["allowed_updates"]
    assert tg.adapter.username == "omnibot_test_bot"
    assert not tg.fake.calls_to("getUpdates")


async def test_a_wrong_or_missing_secret_is_refused(tg: TelegramApp) -> None:
    for secret in (None, "wrong", "s3cret-but-longer", "", "S3CRET", "zażółć"):
        response = await tg.post(updates.text(CHAT, "cześć"), secret=secret)
        assert response.status_code == 403, secret
        assert "detail" in response.json()
    assert await tg.count_messages() == 0
    assert not tg.fake.calls_to("sendMessage")


async def test_without_a_configured_secret_the_webhook_is_off(
    tmp_path: Path, fake: FakeTelegramAPI
) -> None:
    async with telegram_app(tmp_path, fake, telegram_webhook_secret=None) as tg:
        assert not fake.calls_to("setWebhook")  # it would only deliver refused calls
        response = await tg.post(updates.text(CHAT, "cześć"), secret="anything")
        assert response.status_code == 403
        assert "secret" in response.json()["detail"]
        assert await tg.count_messages() == 0


async def test_a_body_that_is_not_an_update_is_a_400(tg: TelegramApp) -> None:
    bodies = [b"not json", b"[1, 2]", b'{"hello": 1}', b'{"update_id": "x"}', b"\xff\xfe", b"null"]
    for body in bodies:
        response = await tg.post(body)
        assert response.status_code == 400, body
        assert "detail" in response.json()
    assert await tg.count_messages() == 0


async def test_a_text_message_is_answered_with_an_inline_keyboard(tg: TelegramApp) -> None:
    response = await tg.post(updates.text(CHAT, "cześć"))
    assert response.status_code == 200
    [reply] = await tg.fake.wait_for("sendMessage")
    assert reply.params["chat_id"] == CHAT
    assert reply.params["text"]
    assert "parse_mode" not in reply.params
    keyboard = reply.params["reply_markup"]["inline_keyboard"]
    assert keyboard and all(len(b["callback_data"].encode()) <= 64 for r in keyboard for b in r)
    [inbound] = tg.received
    assert inbound.address == str(CHAT)
    assert inbound.meta["display_name"] == "Ala"
    assert inbound.meta["language"] == "pl"
    [row] = await tg.outbound()
    assert row.delivery_status == "sent"
    assert row.provider_id == f"out:{CHAT}:{reply.result['message_id']}"


async def test_a_button_press_is_acknowledged_and_answered(tg: TelegramApp) -> None:
    await tg.post(updates.text(CHAT, "cześć"))
    [greeting] = await tg.fake.wait_for("sendMessage")
    title = greeting.params["reply_markup"]["inline_keyboard"][0][0]["text"]
    press = updates.press(greeting, title)
    assert (await tg.post(press)).status_code == 200
    [answer] = tg.fake.calls_to("answerCallbackQuery")
    assert answer.params["callback_query_id"] == press["callback_query"]["id"]
    replies = await tg.fake.wait_for("sendMessage", 2)
    assert replies[1].params["text"] != greeting.params["text"]
    pressed = tg.received[-1]
    assert pressed.payload == press["callback_query"]["data"]
    assert pressed.text == title
    assert pressed.provider_id == f"cb:{press['callback_query']['id']}"


async def test_the_same_update_twice_gets_one_reply(tg: TelegramApp) -> None:
    update = updates.text(CHAT, "cześć")
    first = await tg.post(update)
    second = await tg.post(update)
    assert first.status_code == second.status_code == 200
    await tg.fake.wait_for("sendMessage")
    assert len(tg.fake.calls_to("sendMessage")) == 1
    assert await tg.count_messages(direction="in") == 1


async def test_the_same_button_press_twice_gets_one_reply(tg: TelegramApp) -> None:
    await tg.post(updates.text(CHAT, "cześć"))
    [greeting] = await tg.fake.wait_for("sendMessage")
    title = greeting.params["reply_markup"]["inline_keyboard"][0][0]["text"]
    press = updates.press(greeting, title)
    await tg.post(press)
    await tg.post(press)
    await tg.fake.wait_for("sendMessage", 2)
    assert len(tg.fake.calls_to("sendMessage")) == 2


async def test_start_with_a_deep_link_token(tg: TelegramApp) -> None:
    await tg.post(updates.text(CHAT, "/start tok_EN-123"))
    await tg.fake.wait_for("sendMessage")
    [inbound] = tg.received
    assert inbound.payload == "/greet"
    assert inbound.text == "/start"
    assert inbound.meta["link_token"] == "tok_EN-123"


async def test_commands(tg: TelegramApp) -> None:
    commands = {
        "/start": "/greet",
        "/help": "/help",
        "/language": "/change_language",
        "/link": "/link_channels",
        "/help@omnibot_test_bot": "/help",
    }
    for words in commands:
        assert (await tg.post(updates.text(CHAT, words))).status_code == 200
    assert [m.payload for m in tg.received] == list(commands.values())
    assert not any("link_token" in m.meta for m in tg.received)
    await tg.fake.wait_for("sendMessage", len(commands))


async def test_own_contact_proves_the_phone(tg: TelegramApp) -> None:
    await tg.post(updates.contact(CHAT, "48600111222", contact_user_id=CHAT))
    await tg.fake.wait_for("sendMessage")
    [inbound] = tg.received
    assert inbound.meta["proven_phone"] == "+48600111222"
    assert inbound.text == "+48600111222"
    assert "foreign_contact" not in inbound.meta


async def test_someone_elses_contact_proves_nothing(tg: TelegramApp) -> None:
    await tg.post(updates.contact(CHAT, "+48600111222", contact_user_id=999))
    await tg.post(updates.contact(CHAT, "+48600111333", contact_user_id=None))
    await tg.fake.wait_for("sendMessage", 2)
    for inbound in tg.received:
        assert "proven_phone" not in inbound.meta
        assert inbound.meta["foreign_contact"] is True
        assert inbound.text == ""


async def test_a_sticker_gets_a_reply_and_an_edit_is_ignored(tg: TelegramApp) -> None:
    assert (await tg.post(updates.sticker(CHAT))).status_code == 200
    await tg.fake.wait_for("sendMessage")
    [inbound] = tg.received
    assert inbound.meta["unsupported"] == "sticker"
    assert (await tg.post(updates.edited(CHAT, "poprawka"))).status_code == 200
    assert len(tg.received) == 1
    assert len(tg.fake.calls_to("sendMessage")) == 1


async def test_updates_the_bot_does_not_handle_are_accepted_quietly(tg: TelegramApp) -> None:
    member = {
        "update_id": 5,
        "my_chat_member": {
            "chat": {"id": CHAT, "type": "private"},
            "from": updates.user(CHAT),
            "date": 0,
            "old_chat_member": {"status": "member", "user": updates.user(1)},
            "new_chat_member": {"status": "kicked", "user": updates.user(1), "until_date": 0},
        },
    }
    poll = {
        "update_id": 6,
        "poll_answer": {"poll_id": "1", "option_ids": [0], "user": updates.user(1)},
    }
    for update in (member, poll, {"update_id": 7}):
        assert (await tg.post(json.dumps(update).encode())).status_code == 200
    assert await tg.count_messages() == 0


async def test_a_long_button_payload_survives_the_64_byte_limit(tg: TelegramApp) -> None:
    await tg.post(updates.text(CHAT, "cześć"))
    await tg.fake.wait_for("sendMessage")
    payload = '/add_to_cart{"product":"quattro-formaggi","size":"large","quantity":2}'
    assert len(payload.encode()) > 64
    identity = await tg.identity(str(CHAT))
    assert identity is not None
    button = Button("Dodaj 2 × Quattro Formaggi", payload)
    await tg.core.send_proactive(identity.customer_id, "Dodać?", [button])
    sent = (await tg.fake.wait_for("sendMessage", 2))[-1]
    [[keyboard_button]] = sent.params["reply_markup"]["inline_keyboard"]
    assert len(keyboard_button["callback_data"].encode()) <= 64

    await tg.post(updates.press(sent, button.title))
    assert tg.received[-1].payload == payload

    # After a restart (or on another instance) the digest is found on the stored message.
    tg.adapter.payloads = type(tg.adapter.payloads)()
    await tg.post(updates.press(sent, button.title))
    assert tg.received[-1].payload == payload
    assert tg.received[-1].text == button.title


async def test_an_unknown_digest_falls_back_to_the_button_title(tg: TelegramApp) -> None:
    await tg.post(updates.text(CHAT, "cześć"))
    [greeting] = await tg.fake.wait_for("sendMessage")
    greeting.result["reply_markup"]["inline_keyboard"][0][0]["callback_data"] = "#unknown"
    title = greeting.result["reply_markup"]["inline_keyboard"][0][0]["text"]
    await tg.post(updates.press_data(greeting, "#unknown"))
    pressed = tg.received[-1]
    assert pressed.payload is None
    assert pressed.text == title
    await tg.fake.wait_for("sendMessage", 2)
