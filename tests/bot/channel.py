"""A collecting channel: the bot testable without a network (like Rasa's collecting output)."""

from __future__ import annotations

from bot.messages import Capabilities, DeliveryError, OutboundMessage


class CollectingChannel:
    def __init__(self, name: str = "test", buttons: bool = True) -> None:
        self.name = name
        self.capabilities = Capabilities(buttons=buttons)
        self.sent: list[OutboundMessage] = []
        self.failures: list[DeliveryError] = []  # raised in order, one per send

    async def send(self, message: OutboundMessage) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return f"{self.name}-{len(self.sent)}"

    def texts(self) -> list[str]:
        return [m.text for m in self.sent]
