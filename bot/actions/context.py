"""What an in-process action works on: the customer's context and the shop, never the engine.

A remote action sees only the tracker; an in-process one also reaches the customer's cart
and orders through `ActionContext`, bound by the runner for the duration of one call
(never global state).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogue.responses import Responses
from bot.dialogue.speaker import Speaker
from bot.dialogue.turn import Turn
from bot.domain.pricing import CartMaths
from bot.messages import Button
from bot.store import repo
from bot.store.models import Cart, Customer
from knowledge.catalog import Catalog
from knowledge.faq import FaqIndex
from knowledge.shop import fill

_current: ContextVar[ActionContext | None] = ContextVar("omnibot_action_context", default=None)


def _no_faq() -> FaqIndex | None:
    return None


@dataclass
class Shop:
    """The shop as actions see it: the live catalog and its prices, templates, the FAQ."""

    catalog: Catalog
    responses: Responses
    # The operator-edited FAQ when there is one (it changes while the bot runs).
    faq: Callable[[], FaqIndex | None] = _no_faq
    pricing: CartMaths = field(init=False)
    speaker: Speaker = field(init=False)

    def __post_init__(self) -> None:
        self.pricing = CartMaths(self.catalog)
        self.speaker = Speaker(self.responses)


@dataclass
class ActionContext:
    """One turn's customer context and the shop: what a business step may touch."""

    turn: Turn
    shop: Shop

    @property
    def lang(self) -> str:
        return self.turn.lang

    @property
    def session(self) -> AsyncSession:
        return self.turn.session

    @property
    def customer(self) -> Customer:
        return self.turn.customer

    async def cart(self) -> Cart:
        return await repo.cart_of(self.turn.session, self.turn.customer.id, self.turn.preloaded)

    def text(self, key: str, **values: Any) -> str:
        return self.shop.speaker.text(key, self.lang, **values)

    def button(self, key: str, intent: str, **entities: Any) -> Button:
        return self.shop.speaker.button(self.lang, key, intent, **entities)

    def main_buttons(self) -> list[Button]:
        return self.shop.speaker.main_buttons(self.lang)

    def faq_text(self, answer: dict[str, str]) -> str | None:
        """An FAQ entry's answer in the customer's language (else any), the shop's facts
        filled in as they are now."""
        text = answer.get(self.lang) or next(iter(answer.values()), None)
        return fill(text, self.shop.responses.fact_values(self.lang)) if text else None


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
        return self.context.button(key, intent, **entities)
