"""What an in-process action works on: the customer context of the current turn.

A remote action sees only the tracker; an in-process one also reaches the store through
`ActionContext`, bound by the runner for the duration of one call (never global state).
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.messages import Button

if TYPE_CHECKING:
    from bot.dialogue.engine import DialogueEngine, Turn

_current: ContextVar[ActionContext | None] = ContextVar("omnibot_action_context", default=None)


@dataclass
class ActionContext:
    turn: Turn
    engine: DialogueEngine

    @property
    def lang(self) -> str:
        return self.turn.lang

    def text(self, key: str, **values: Any) -> str:
        return self.engine.responses.render(key, self.turn.lang, **values)


@contextmanager
def bound(context: ActionContext) -> Iterator[None]:
    token = _current.set(context)
    try:
        yield
    finally:
        _current.reset(token)


class ShopAction(Action, abc.ABC):
    """An in-process action: `act` gets the turn's context besides Rasa's arguments."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        context = _current.get()
        if context is None:
            raise RuntimeError(f"{self.name()} runs only inside Omnibot's core")
        return await self.act(context, Say(context, dispatcher), tracker)

    @abc.abstractmethod
    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> list[dict[str, Any]]:
        """Do the business and say something; return Rasa events."""


class Say:
    """Utter a response template of the customer's language, with buttons."""

    def __init__(self, context: ActionContext, dispatcher: CollectingDispatcher) -> None:
        self.context = context
        self.dispatcher = dispatcher

    def __call__(self, key: str, buttons: list[Button] | None = None, **values: Any) -> None:
        self.dispatcher.utter_message(
            text=self.context.text(key, **values),
            buttons=[b.as_dict() for b in buttons or []],
        )

    def button(self, key: str, intent: str, **entities: Any) -> Button:
        return self.context.engine.button(self.context.turn, key, intent, **entities)
