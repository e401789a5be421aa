"""A terminal channel: `omnibot chat` talks to the bot through the same core."""

from __future__ import annotations

from collections.abc import Callable

from adapters.base import ChannelAdapter
from bot.core import Core
from bot.messages import Capabilities, InboundMessage, OutboundMessage


class CliAdapter(ChannelAdapter):
    name = "cli"
    # Numbered options: the terminal has no buttons; typing the number picks one.
    capabilities = Capabilities(buttons=False, max_text_length=100_000)

    def __init__(self, core: Core, output: Callable[[str], None], address: str = "local") -> None:
        super().__init__(core)
        self.output = output
        self.address = address
        self._counter = 0

    async def send(self, message: OutboundMessage) -> str | None:
        self.output(message.text)
        return None

    async def say(self, text: str) -> None:
        self._counter += 1
        await self.core.receive(InboundMessage(channel=self.name, address=self.address, text=text))
