"""The pending-options rule, once: the buttons of the last message the customer got are the
answers the next message may pick by number ("2") or by title, on any channel (SMS has no
buttons, only numbered lines)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.messages import Button
from bot.store.models import DialogueState
from intents.text import fold


def options_of(buttons: Sequence[Button]) -> dict[str, Any] | None:
    """What DialogueState.pending_options holds after a message with these buttons."""
    return {"buttons": [b.as_dict() for b in buttons]} if buttons else None


def remember_options(state: DialogueState, buttons: Sequence[Button]) -> None:
    """After a reply: its buttons (or none) are what the next message may pick."""
    state.pending_options = options_of(buttons)


def remember_proactive_options(state: DialogueState, buttons: Sequence[Button]) -> None:
    """After a message the customer did not ask for (a reminder, a status change, an agent's
    reply): its buttons become the options, unless a flow is waiting for its own answer."""
    if buttons and not state.flow:
        state.pending_options = options_of(buttons)


def picked_option(text: str, pending: dict[str, Any] | None) -> str | None:
    """The payload of the option a typed message picks (its number or its title), if any."""
    options = (pending or {}).get("buttons") or []
    if not options:
        return None
    typed = fold(text.strip().rstrip("."))
    if typed.isdecimal() and typed.isascii() and 1 <= int(typed) <= len(options):
        return str(options[int(typed) - 1]["payload"])
    return next((str(o["payload"]) for o in options if fold(str(o["title"])) == typed), None)
