"""A yes/no question as a tiny flow (empty the cart? ask a person?): yes and no are answered,
anything else drops the question and is handled as usual."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dialogue.flows import said_no, said_yes
from bot.dialogue.speaker import Speaker
from bot.dialogue.turn import Handler, Turn
from bot.messages import Button


@dataclass
class Confirmation:
    """A yes/no question as a flow: `on_yes` or `on_no` runs; anything else drops it."""

    takes_any_text = False  # a person asked for or a complaint still wins

    name: str
    speaker: Speaker
    question: str  # response key
    yes_button: str  # response keys of the two buttons
    no_button: str
    on_yes: Handler
    on_no: Handler
    # Said when an order comes instead of an answer (then handled as any order); None: nothing.
    on_order: Handler | None = None

    async def start(self, turn: Turn, **values: object) -> None:
        turn.state.flow, turn.state.step = self.name, "confirm"
        turn.state.slots = {**(turn.state.slots or {}), f"{self.name}_values": values}
        await self.ask(turn)

    def _end(self, turn: Turn) -> None:
        turn.state.flow, turn.state.step = None, None
        slots = dict(turn.state.slots or {})
        slots.pop(f"{self.name}_values", None)
        turn.state.slots = slots

    async def answer(self, turn: Turn) -> bool:
        if said_yes(turn) and not turn.entities("product"):
            self._end(turn)
            await self.on_yes(turn)
            return True
        if said_no(turn) and not turn.entities("product"):
            self._end(turn)
            await self.on_no(turn)
            return True
        # Not an answer: the question is dropped and the message handled as any other.
        self._end(turn)
        if (
            self.on_order is not None
            and turn.entities("product")
            and "?" not in turn.text
            and not said_yes(turn)
        ):
            await self.on_order(turn)  # "add a small pepperoni" asked to empty the cart
        return False

    async def free_answer(self, turn: Turn) -> bool:
        return False

    async def ask(self, turn: Turn) -> None:
        values = dict((turn.state.slots or {}).get(f"{self.name}_values") or {})
        buttons = [
            Button(self.speaker.text(self.yes_button, turn.lang), '/inform{"confirm": "yes"}'),
            Button(self.speaker.text(self.no_button, turn.lang), '/inform{"confirm": "no"}'),
        ]
        self.speaker.say(turn, self.question, buttons, **values)
