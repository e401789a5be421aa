"""Saying things: response templates in the customer's language, with buttons."""

from __future__ import annotations

from typing import Any

from bot.dialogue.responses import Responses
from bot.dialogue.turn import Reply, Turn, payload_for
from bot.messages import Button


class Speaker:
    """Renders templates into a turn's replies; every layer that talks uses this one."""

    def __init__(self, responses: Responses) -> None:
        self.responses = responses

    def text(self, key: str, lang: str, **values: Any) -> str:
        return self.responses.render(key, lang, **values)

    def say(self, turn: Turn, key: str, buttons: list[Button] | None = None, **values: Any) -> None:
        turn.replies.append(Reply(self.text(key, turn.lang, **values), buttons or []))

    def button(self, lang: str, key: str, intent: str, **entities: Any) -> Button:
        return Button(self.text(key, lang), payload_for(intent, **entities))

    def main_buttons(self, lang: str) -> list[Button]:
        return [
            self.button(lang, "btn_menu", "browse_menu"),
            self.button(lang, "btn_cart", "show_cart"),
            self.button(lang, "btn_help", "help"),
        ]

    def cart_buttons(self, lang: str) -> list[Button]:
        """What to do next with items in the cart: check out, see it, or order more."""
        return [
            self.button(lang, "btn_checkout", "checkout"),
            self.button(lang, "btn_cart", "show_cart"),
            self.button(lang, "btn_menu", "browse_menu"),
        ]
