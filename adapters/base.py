"""The channel adapter interface: connect, listen (push to the core), send, disconnect."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from bot.messages import Capabilities, OutboundMessage

if TYPE_CHECKING:
    from fastapi import APIRouter

    from bot.core import Core


__all__ = ["Capabilities", "ChannelAdapter"]


class ChannelAdapter(ABC):
    """A channel: turns its payloads into InboundMessage and sends stored replies out."""

    name: str = "base"
    capabilities = Capabilities()

    def __init__(self, core: Core) -> None:
        self.core = core

    def router(self) -> APIRouter | None:
        """HTTP/WebSocket routes of this channel (webhooks), mounted by the app."""
        return None

    async def connect(self) -> None:
        """Start what the channel needs (webhook registration, polling)."""

    async def disconnect(self) -> None:
        """Stop background work and close clients."""

    @abstractmethod
    async def send(self, message: OutboundMessage) -> str | None:
        """Deliver one message; return the channel's id for it. Raise DeliveryError."""
