"""Updates as InboundMessage, without the network: commands, contacts, other content."""

from __future__ import annotations

from typing import Any

from aiogram.types import Update

from adapters.telegram.inbound import message_to_inbound, parse_command
from bot.domain.phones import international_phone
from bot.messages import InboundMessage
from tests.adapters.telegram import updates

BOT = "omnibot_test_bot"


def inbound_of(update: dict[str, Any]) -> InboundMessage | None:
    parsed = Update.model_validate(update)
    assert parsed.message is not None
    return message_to_inbound(parsed.message, parsed.update_id, BOT)


def test_parse_command() -> None:
    assert parse_command("hello", BOT) is None
    assert parse_command("/start abc", BOT) == ("start", "abc", True)
    assert parse_command("/Help@OmniBot_Test_Bot", BOT) == ("help", "", True)
    assert parse_command("/start@other_bot x", BOT) == ("start", "x", False)


def test_a_contact_number_is_international() -> None:
    assert international_phone("48600111222") == "+48600111222"
    assert international_phone("+48 600-111-222") == "+48600111222"
    assert international_phone("600") is None
    assert international_phone("+48abc") is None


def test_start_token_must_look_like_a_deep_link_parameter() -> None:
    inbound = inbound_of(updates.text(5, "/start ../../etc?x=1"))
    assert inbound is not None
    assert inbound.payload == "/greet"
    assert "link_token" not in inbound.meta


def test_a_command_for_another_bot_in_a_group_is_not_ours() -> None:
    assert inbound_of(updates.text(-100, "/start@other_bot", sender=updates.user(5))) is None


def test_an_unknown_command_goes_to_the_nlu_as_text() -> None:
    inbound = inbound_of(updates.text(5, "/pizza margherita"))
    assert inbound is not None
    assert (inbound.text, inbound.payload) == ("/pizza margherita", None)


def test_language_is_kept_only_for_languages_the_bot_speaks() -> None:
    german = inbound_of(updates.text(5, "hallo", sender=updates.user(5, language_code="de")))
    english = inbound_of(updates.text(5, "hi", sender=updates.user(5, language_code="en-GB")))
    assert german is not None and "language" not in german.meta
    assert english is not None and english.meta["language"] == "en"


def test_own_contact_in_a_group_or_forwarded_proves_nothing() -> None:
    in_group = updates.contact(-100, "48600111222", contact_user_id=5, sender=updates.user(5))
    forwarded = updates.contact(5, "48600111222", contact_user_id=5)
    forwarded["message"]["forward_origin"] = {
        "type": "user",
        "date": 0,
        "sender_user": updates.user(5),
    }
    for update in (in_group, forwarded):
        inbound = inbound_of(update)
        assert inbound is not None
        assert "proven_phone" not in inbound.meta
        assert inbound.meta["foreign_contact"] is True


def test_a_photo_with_a_caption_keeps_the_caption() -> None:
    update = updates.text(5, "x")
    message = update["message"]
    del message["text"]
    message["caption"] = "czy macie taką?"
    message["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    inbound = inbound_of(update)
    assert inbound is not None
    assert inbound.text == "czy macie taką?"
    assert inbound.meta["unsupported"] == "photo"
