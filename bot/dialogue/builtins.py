"""The intents the engine answers itself: small talk, language, a person, restart, checkout."""

from __future__ import annotations

import re

from bot.dialogue.checkout import CheckoutFlow
from bot.dialogue.registry import IntentRegistry
from bot.dialogue.speaker import Speaker
from bot.dialogue.steps import ActionSteps
from bot.dialogue.turn import Handler, Turn
from bot.identity import IdentityLinker


class BuiltinHandlers:
    def __init__(self, speaker: Speaker, steps: ActionSteps) -> None:
        self.speaker = speaker
        self.steps = steps

    def register(
        self, registry: IntentRegistry, checkout: CheckoutFlow, identity: IdentityLinker | None
    ) -> None:
        handlers: dict[str, Handler] = {
            "greet": self.menu_reply("greet"),
            "help": self.menu_reply("help"),
            "thanks": self.plain_reply("thanks"),
            "goodbye": self.plain_reply("goodbye"),
            "affirm": self.menu_reply("ok_what_next"),
            "deny": self.deny,
            "change_language": self.change_language,
            "complaint": self.complaint,
            "human_handoff": self.human_handoff,
            "change_order": self.change_order,
            "checkout": checkout.start,
            "order_note": checkout.keep_note,
            "restart": self.restart,
        }
        if identity is not None:
            handlers["link_channels"] = identity.start_linking
        for intent, handler in handlers.items():
            registry.handle(intent, handler)

    def plain_reply(self, key: str) -> Handler:
        async def handler(turn: Turn) -> None:
            self.speaker.say(turn, key)

        return handler

    def menu_reply(self, key: str) -> Handler:
        async def handler(turn: Turn) -> None:
            self.speaker.say(turn, key, self.speaker.main_buttons(turn.lang))

        return handler

    async def deny(self, turn: Turn) -> None:
        # "not 3, 2" right after adding something corrects that line.
        if (turn.state.slots or {}).get("last_item") and (
            re.search(r"\d", turn.text) or turn.entities("size") or turn.entities("quantity")
        ):
            await self.steps.run(turn, "action_change_item")
            return
        self.speaker.say(turn, "ok_what_next", self.speaker.main_buttons(turn.lang))

    async def restart(self, turn: Turn) -> None:
        turn.state.flow, turn.state.step = None, None
        turn.state.slots = {}
        self.speaker.say(turn, "restarted", self.speaker.main_buttons(turn.lang))

    async def complaint(self, turn: Turn) -> None:
        self.speaker.say(turn, "complaint_sorry")
        turn.handoff_reason = "complaint"

    async def change_order(self, turn: Turn) -> None:
        """A change asked of the order just placed ("can I still change it to a large?"):
        the team changes placed orders, so they get the conversation."""
        order = turn.preloaded.latest_open_order if turn.preloaded is not None else None
        self.speaker.say(turn, "order_change_to_staff", number=order.number if order else "")
        turn.handoff_reason = "order_change"

    async def human_handoff(self, turn: Turn) -> None:
        turn.handoff_reason = "customer_request"

    async def change_language(self, turn: Turn) -> None:
        text = turn.text.lower()
        wanted = turn.entity("language")
        if wanted not in ("pl", "en"):
            wanted = "en" if ("english" in text or "angiel" in text) else "pl"
        turn.customer.language = wanted
        turn.lang = wanted
        self.speaker.say(turn, "language_set", self.speaker.main_buttons(turn.lang))
