"""Telegram updates as InboundMessage: text, commands, button presses, shared contacts."""

from __future__ import annotations

import re
from typing import Any

from aiogram.types import CallbackQuery, Message, User

from bot.domain.phones import international_phone
from bot.messages import InboundMessage

CHANNEL = "telegram"

# Commands the bot answers; the payloads are the dialogue's intents (Rasa form).
COMMAND_PAYLOADS = {
    "start": "/greet",
    "help": "/help",
    "language": "/change_language",
    "link": "/link_channels",
    "menu": "/browse_menu",
    "cart": "/show_cart",
}
# What Telegram allows in a t.me/<bot>?start=<token> parameter.
DEEP_LINK_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LANGUAGES = ("pl", "en")


def sender_meta(user: User | None) -> dict[str, Any]:
    """What Telegram tells us about the sender that the core may use."""
    if user is None:
        return {}
    meta: dict[str, Any] = {"telegram_user_id": user.id}
    if user.first_name:
        meta["display_name"] = user.first_name
    if user.username:
        meta["username"] = user.username
    language = (user.language_code or "")[:2].lower()
    if language in LANGUAGES:
        meta["language"] = language
    return meta


def parse_command(text: str, bot_username: str | None) -> tuple[str, str, bool] | None:
    """("start", "abc", True) for "/start abc" or "/start@ThisBot abc"; the flag says
    whether the command is ours (False: "/start@OtherBot" in a group). None: no command."""
    if not text.startswith("/"):
        return None
    head, _, args = text.partition(" ")
    name, _, mention = head[1:].partition("@")
    ours = not (mention and bot_username and mention.lower() != bot_username.lower())
    return name.lower(), args.strip(), ours


def message_to_inbound(
    message: Message, update_id: int, bot_username: str | None
) -> InboundMessage | None:
    """The InboundMessage for a new message, or None when it is not for us."""
    inbound = InboundMessage(
        channel=CHANNEL,
        address=str(message.chat.id),
        provider_id=str(update_id),
        timestamp=message.date,
        meta=sender_meta(message.from_user),
    )
    if message.contact is not None:
        return _contact(message, inbound)
    if message.text is None:
        # Stickers, photos, voice…: the core answers politely that it reads text.
        inbound.text = message.caption or ""
        kind = message.content_type
        inbound.meta["unsupported"] = str(getattr(kind, "value", kind))
        return inbound
    inbound.text = message.text
    command = parse_command(message.text, bot_username)
    if command is None:
        return inbound
    name, args, ours = command
    if not ours:
        return None
    payload = COMMAND_PAYLOADS.get(name)
    if payload is None:  # an unknown command: the NLU gets its words
        return inbound
    inbound.text = f"/{name}"
    inbound.payload = payload
    if name == "start" and _is_token(args):
        inbound.meta["link_token"] = args
    return inbound


def _is_token(value: str) -> bool:
    return bool(DEEP_LINK_TOKEN.match(value))


def _contact(message: Message, inbound: InboundMessage) -> InboundMessage:
    """A phone proves itself only when its owner shares it, unforwarded, in a private chat."""
    contact = message.contact
    assert contact is not None
    sender = message.from_user
    own = (
        sender is not None
        and contact.user_id == sender.id
        and message.forward_origin is None
        and message.chat.type == "private"
    )
    phone = international_phone(contact.phone_number) if own else None
    if phone is None:
        inbound.meta["foreign_contact"] = True
        inbound.text = ""
        return inbound
    inbound.meta["proven_phone"] = phone
    inbound.text = phone
    return inbound


def pressed_button_title(callback: CallbackQuery) -> str:
    """The title of the inline button that was pressed, found on the message it belongs to."""
    markup = getattr(callback.message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", None) or []:
        for button in row:
            if button.callback_data == callback.data:
                return str(button.text)
    return ""


def callback_to_inbound(callback: CallbackQuery, payload: str | None) -> InboundMessage:
    """A button press: its payload (if known) and its title as the text."""
    chat_id = callback.message.chat.id if callback.message else callback.from_user.id
    return InboundMessage(
        channel=CHANNEL,
        address=str(chat_id),
        text=pressed_button_title(callback),
        payload=payload or None,
        provider_id=f"cb:{callback.id}",
        meta=sender_meta(callback.from_user),
    )
