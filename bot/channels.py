"""The channels this process serves, as the core and the outbox see them."""

from __future__ import annotations

from typing import Protocol

from bot.messages import Capabilities, OutboundMessage


class ChannelSender(Protocol):
    """What the core needs of a channel. Optional attributes: `delivers_from_store`
    (the stored reply is the delivery, e.g. the web chat), `acknowledges_with_reply` (the
    client is answered with the replies and resends what was not answered: a message is
    stored with its turn, in one transaction), `consent_flag` (the
    Customer attribute that, when true, forbids sending on this channel),
    `addresses_are_phones` (SMS), `deep_link(token)` and `label`."""

    name: str
    capabilities: Capabilities

    async def send(self, message: OutboundMessage) -> str | None: ...


class Channels(dict[str, ChannelSender]):
    """Registered channels by name, and what identity linking asks of them."""

    def add(self, channel: ChannelSender) -> None:
        self[channel.name] = channel

    def deep_links(self, token: str) -> list[tuple[str, str]]:
        """(label, url) of every channel that can open a conversation from a link token."""
        links = []
        for channel in self.values():
            make = getattr(channel, "deep_link", None)
            url = make(token) if make else None
            if url:
                links.append((getattr(channel, "label", channel.name), url))
        return links

    def phone_channel(self) -> str | None:
        """The channel whose addresses are phone numbers (SMS), if one is configured."""
        return next((n for n, c in self.items() if getattr(c, "addresses_are_phones", False)), None)
