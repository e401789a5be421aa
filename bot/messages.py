"""The one message type the core sees, whatever the channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Capabilities:
    """What a channel can show; the core degrades output by these, in one place."""

    buttons: bool = True
    max_text_length: int = 4096


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass
class InboundMessage:
    """What an adapter hands the core: who wrote what, on which channel."""

    channel: str
    address: str
    text: str = ""
    payload: str | None = None  # a button's payload, when a button was pressed
    provider_id: str | None = None  # channel's message id, for deduplication
    timestamp: datetime | None = None
    # Channel facts the core may use without knowing the channel (e.g. a proven phone).
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class OutboundMessage:
    """A stored outgoing message on its way to one channel address."""

    id: int
    customer_id: int
    channel: str
    address: str
    author: str
    text: str
    buttons: list[Button]
    created_at: datetime
    attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_reply(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "author": self.author,
            "text": self.text,
            "buttons": [b.as_dict() for b in self.buttons],
            "created_at": self.created_at.isoformat(),
            "channel": self.channel,
        }


class DeliveryError(Exception):
    """A send failed. `retry_after` (seconds) when the channel said when to retry;
    `permanent` when the address cannot be reached any more (blocked bot, invalid number);
    `reject` when this one message can never be sent but the address is fine;
    `uncertain` when the request may have reached the provider (a timeout after sending):
    the outbox then follows the channel's OUTBOX_RESEND_UNCERTAIN policy, not a plain retry."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        reject: bool = False,
        uncertain: bool = False,
    ):
        super().__init__(message)
        self.uncertain = uncertain
        self.retry_after = retry_after
        self.permanent = permanent
        self.reject = reject
