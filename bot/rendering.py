"""Rendering a reply for a channel's capabilities, in one place for every channel."""

from __future__ import annotations

from dataclasses import replace

from bot.messages import Capabilities, OutboundMessage


def numbered_options(text: str, titles: list[str]) -> str:
    """Buttons as numbered lines; the core accepts the number as the answer."""
    lines = [f"{i}. {title}" for i, title in enumerate(titles, start=1)]
    return "\n".join([text, *lines]) if text else "\n".join(lines)


def render_for_channel(message: OutboundMessage, capabilities: Capabilities) -> OutboundMessage:
    """A channel without buttons gets numbered lines instead."""
    if message.buttons and not capabilities.buttons:
        text = numbered_options(message.text, [b.title for b in message.buttons])
        return replace(message, text=text, buttons=[])
    return message
