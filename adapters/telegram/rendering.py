"""A stored reply as Telegram messages: chunks of at most 4096 characters and keyboards."""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.messages import Button, OutboundMessage

MAX_TEXT_LENGTH = 4096  # Telegram's limit for one message, in UTF-16 code units
MAX_CALLBACK_BYTES = 64  # Telegram's limit for an inline button's callback_data
DIGEST_PREFIX = "#"  # our payloads start with "/", so "#" marks a digest
EMPTY_TEXT = "👇"  # Telegram refuses an empty message; buttons need some text above them

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 code units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """Split into chunks of at most `limit`, at a paragraph, line or word boundary if any."""
    chunks: list[str] = []
    rest = text.strip()
    while utf16_length(rest) > limit:
        end = _fitting_prefix(rest, limit)
        head = rest[:end]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = head.rfind(separator)
            # A boundary in the first half would leave a tiny chunk: cut hard instead.
            if cut > end // 2:
                break
            cut = -1
        if cut == -1:
            cut = end
        chunk = rest[:cut].rstrip()
        if chunk:
            chunks.append(chunk)
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


class CallbackPayloads:
    """Button payloads as callback_data: short ones as they are, long ones as a digest.

    Digests are remembered here (LRU) for the fast path; the adapter can also find
    a digest's payload among the buttons of the stored message that was pressed.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._payloads: OrderedDict[str, str] = OrderedDict()

    @staticmethod
    def digest(payload: str) -> str:
        raw = hashlib.sha256(payload.encode()).digest()
        return DIGEST_PREFIX + base64.urlsafe_b64encode(raw).decode()[:32]

    @staticmethod
    def fits(payload: str) -> bool:
        size = len(payload.encode())
        return 0 < size <= MAX_CALLBACK_BYTES and not payload.startswith(DIGEST_PREFIX)

    def encode(self, payload: str) -> str:
        if self.fits(payload):
            return payload
        key = self.digest(payload)
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        while len(self._payloads) > self.capacity:
            self._payloads.popitem(last=False)
        return key

    def decode(self, data: str) -> str | None:
        """The payload for callback_data; None if it is a digest we do not remember."""
        if not data.startswith(DIGEST_PREFIX):
            return data
        return self._payloads.get(data)

    def find(self, data: str, payloads: list[str]) -> str | None:
        """The payload among `payloads` that `data` stands for."""
        return next((p for p in payloads if data in (p, self.digest(p))), None)


def reply_markup(message: OutboundMessage, payloads: CallbackPayloads) -> ReplyMarkup | None:
    """A "share my phone" reply keyboard when asked for, else the buttons inline."""
    if message.extra.get("request_phone"):
        title = str(message.extra.get("request_phone_title") or "📱")
        return ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=title, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[_inline(b, payloads)] for b in message.buttons])


def _inline(button: Button, payloads: CallbackPayloads) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=button.title, callback_data=payloads.encode(button.payload))


def message_chunks(message: OutboundMessage) -> list[str]:
    """The texts to send, in order; the keyboard goes on the last one."""
    chunks = split_text(message.text)
    if not chunks and (message.buttons or message.extra.get("request_phone")):
        chunks = [EMPTY_TEXT]
    return chunks
