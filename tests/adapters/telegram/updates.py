"""Telegram Update objects (as JSON dicts) for tests: what a user does in a chat."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.adapters.telegram.fake_api import Call

_update_ids = itertools.count(100_000)
_message_ids = itertools.count(1)
_callback_ids = itertools.count(1)


def user(user_id: int, first_name: str = "Ala", language_code: str | None = "pl") -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        data["language_code"] = language_code
    return data


def _message(chat_id: int, sender: dict[str, Any] | None, **content: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
        **content,
    }
    if sender is not None:
        message["from"] = sender
    return message


def _update(**body: Any) -> dict[str, Any]:
    return {"update_id": next(_update_ids), **body}


def text(chat_id: int, words: str, sender: dict[str, Any] | None = None) -> dict[str, Any]:
    """A text message (commands included) from the chat's owner, unless `sender` is given."""
    return _update(message=_message(chat_id, sender or user(chat_id), text=words))


def contact(
    chat_id: int, phone: str, contact_user_id: int | None, sender: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A shared contact; contact_user_id == sender's id means the user shared their own."""
    card: dict[str, Any] = {"phone_number": phone, "first_name": "Ala"}
    if contact_user_id is not None:
        card["user_id"] = contact_user_id
    return _update(message=_message(chat_id, sender or user(chat_id), contact=card))


def sticker(chat_id: int) -> dict[str, Any]:
    card = {
        "file_id": "CAACAgIAAxkBAAI",
        "file_unique_id": "AgADAQAD",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    return _update(message=_message(chat_id, user(chat_id), sticker=card))


def edited(chat_id: int, words: str) -> dict[str, Any]:
    message = _message(chat_id, user(chat_id), text=words, edit_date=int(time.time()))
    return _update(edited_message=message)


def press(sent: Call, title: str, chat_id: int | None = None) -> dict[str, Any]:
    """A press of the inline button titled `title` on a message the bot sent (sendMessage)."""
    markup = sent.params["reply_markup"]
    data = next(
        b["callback_data"] for row in markup["inline_keyboard"] for b in row if b["text"] == title
    )
    return press_data(sent, data, chat_id)


def press_data(sent: Call, data: str, chat_id: int | None = None) -> dict[str, Any]:
    """A callback query with `data` from the message of a sendMessage call."""
    chat = int(chat_id if chat_id is not None else sent.params["chat_id"])
    message = dict(sent.result)
    return _update(
        callback_query={
            "id": str(next(_callback_ids)),
            "from": user(chat),
            "chat_instance": "1",
            "message": message,
            "data": data,
        }
    )
