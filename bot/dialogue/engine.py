"""The dialogue policy: from a parsed message and the customer context to replies.

The engine never asks which channel it is talking to; it works on the customer's
context (dialogue state, cart) and returns replies with buttons. Rendering for a
channel happens later, in one place (bot.rendering).

Policy, in order: hand-off and language intents; the active flow's own answers
(buttons, typed choices); interruptions (an FAQ, the cart, the menu — answered, then
the flow's question is asked again); free-text answers to the flow's question; and
otherwise the fallback ladder (rephrase → options with a human → hand-off). Business
work is done by rasa_sdk actions (bot.actions), chosen by intent in actions/domain.yaml.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogue.cart import CartMaths
from bot.dialogue.keywords import fold
from bot.dialogue.responses import Responses
from bot.messages import Button
from bot.store.models import Conversation, Customer, DialogueState
from knowledge.catalog import Catalog
from knowledge.faq import FaqIndex

log = logging.getLogger(__name__)

MAX_QUANTITY = 20
_ORDERING = re.compile(
    r"^\s*(poprosze|prosze o|chce|chcialbym|chcialabym|zamawiam|dodaj|i'?d like|i want|"
    r"give me|can i (get|have)|add)\b"
)
_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.S)
# Below this an intent does not interrupt a flow that expects free text (a name, an address).
INTERRUPT_CONFIDENCE = 0.8
INTERRUPTIONS = frozenset(
    "greet help thanks browse_menu product_info allergens add_to_cart remove_from_cart "
    "change_item show_cart clear_cart order_status opening_hours delivery_area delivery_time "
    "payment_methods prices faq reorder link_channels".split()
)
# Misses in a row: 1 rephrase with suggestions, 2+ options with a person, then hand off.
HANDOFF_AFTER_MISSES = 3
# A guess below this is no understanding (the fallback ladder takes over).
MIN_CONFIDENCE = 0.45
GLOBAL = frozenset({"human_handoff", "complaint", "change_language"})


@dataclass
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)
    # Channel hints stored with the reply (e.g. request_phone: Telegram's share-phone key).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Turn:
    """Everything one customer message is handled with, passed in (never global)."""

    session: AsyncSession
    customer: Customer
    conversation: Conversation
    state: DialogueState
    parse: dict[str, Any]
    lang: str
    replies: list[Reply] = field(default_factory=list)
    # Stored with every reply of this turn (e.g. a consent confirmation marker).
    reply_extra: dict[str, Any] = field(default_factory=dict)
    # Messages to other addresses, stored in this turn's transaction, sent after it.
    outbox: list[Any] = field(default_factory=list)
    # Set by a handler to hand the conversation to a human (the core does the rest).
    handoff_reason: str | None = None

    def entity(self, name: str) -> Any:
        return next(
            (e["value"] for e in self.parse.get("entities", []) if e["entity"] == name), None
        )

    def entities(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.parse.get("entities", []) if e["entity"] == name]

    @property
    def intent(self) -> str:
        return str(self.parse.get("intent", {}).get("name") or "nlu_fallback")

    @property
    def confidence(self) -> float:
        return float(self.parse.get("intent", {}).get("confidence") or 0.0)

    @property
    def text(self) -> str:
        return str(self.parse.get("text") or "")

    @property
    def from_button(self) -> bool:
        return self.text.startswith("/") and self.confidence >= 1.0


Handler = Callable[[Turn], Awaitable[None]]


def parse_payload(payload: str) -> dict[str, Any] | None:
    """A button payload in Rasa's form `/intent{"entity": "value"}` as a parse result."""
    m = _PAYLOAD.match(payload.strip())
    if not m:
        return None
    entities: list[dict[str, Any]] = []
    if m.group("entities"):
        try:
            values = json.loads(m.group("entities"))
        except json.JSONDecodeError:
            return None
        if not isinstance(values, dict):
            return None
        entities = [
            {"entity": str(k), "value": v, "start": 0, "end": 0, "confidence": 1.0}
            for k, v in values.items()
        ]
    intent = {"name": m.group("intent"), "confidence": 1.0}
    return {"text": payload, "intent": intent, "intent_ranking": [intent], "entities": entities}


def payload_for(intent: str, **entities: Any) -> str:
    return f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")


class DialogueEngine:
    def __init__(
        self,
        catalog: Catalog,
        responses: Responses,
        *,
        action_endpoint: str | None = None,
        actions_domain: Path | None = None,
    ) -> None:
        from bot.actions.registry import default_actions
        from bot.actions.runner import ActionDomain, ActionRunner
        from bot.dialogue.checkout import CheckoutFlow
        from bot.dialogue.flows import default_flows

        self.catalog = catalog
        self.responses = responses
        self.cart = CartMaths(catalog)
        self.actions = ActionRunner(self, action_endpoint, ActionDomain.load(actions_domain))
        self.actions.register(*default_actions())
        self.flows = {flow.name: flow for flow in default_flows(self)}
        self.checkout = CheckoutFlow(self)
        self.flows[self.checkout.name] = self.checkout
        self._handlers: dict[str, Handler] = {
            "greet": self.greet,
            "help": self.help,
            "thanks": self.simple("thanks"),
            "goodbye": self.simple("goodbye"),
            "affirm": self.affirm,
            "deny": self.deny,
            "change_language": self.change_language,
            "complaint": self.complaint,
            "human_handoff": self.human_handoff,
            "checkout": self.checkout.start,
            "restart": self.restart,
        }
        # Hooks for operator content (bot.content): an intent's own reply, the live FAQ.
        self.intent_reply: Callable[[Turn], str | None] | None = None
        self.faq: FaqIndex | None = None

    def register(self, intent: str, handler: Handler) -> None:
        """Add or replace the handler of an intent (the composition root wires extras)."""
        self._handlers[intent] = handler

    def configure_actions(
        self, endpoint: str | None = None, domain_path: Path | None = None
    ) -> None:
        """Point unknown actions at a Rasa action server; map more intents to actions."""
        from bot.actions.runner import ActionDomain

        self.actions.endpoint = endpoint
        self.actions.domain = ActionDomain.load(domain_path)

    # -- helpers -------------------------------------------------------------------
    def say(self, turn: Turn, key: str, buttons: list[Button] | None = None, **values: Any) -> None:
        turn.replies.append(Reply(self.responses.render(key, turn.lang, **values), buttons or []))

    def button(self, turn: Turn, key: str, intent: str, **entities: Any) -> Button:
        return Button(self.responses.render(key, turn.lang), payload_for(intent, **entities))

    def main_buttons(self, turn: Turn) -> list[Button]:
        return [
            self.button(turn, "btn_menu", "browse_menu"),
            self.button(turn, "btn_cart", "show_cart"),
            self.button(turn, "btn_help", "help"),
        ]

    def simple(self, key: str) -> Handler:
        async def handler(turn: Turn) -> None:
            self.say(turn, key)

        return handler

    def is_interruption(self, turn: Turn) -> bool:
        if turn.intent not in INTERRUPTIONS and turn.intent not in GLOBAL:
            return False
        return turn.from_button or turn.confidence >= INTERRUPT_CONFIDENCE

    # -- entry point ---------------------------------------------------------------
    async def respond(self, turn: Turn) -> list[Reply]:
        self._understand_better(turn)
        flow = self.flows.get(turn.state.flow or "")
        if flow is None:
            await self.dispatch(turn)
        elif turn.intent in GLOBAL and self.is_interruption(turn):
            await self.dispatch(turn)
            if turn.intent == "change_language" and turn.state.flow == flow.name:
                await flow.ask(turn)
        elif await flow.answer(turn):
            turn.state.fallback_count = 0
        elif self.is_interruption(turn):
            await self.dispatch(turn)
            if turn.state.flow == flow.name and not turn.handoff_reason:
                await flow.ask(turn)  # resume where we were
        elif await flow.free_answer(turn):
            turn.state.fallback_count = 0
        else:
            await self.fallback(turn)
            if turn.state.flow == flow.name and not turn.handoff_reason:
                await flow.ask(turn)
        buttons = turn.replies[-1].buttons if turn.replies else []
        turn.state.pending_options = (
            {"buttons": [b.as_dict() for b in buttons]} if buttons else None
        )
        return turn.replies

    def _understand_better(self, turn: Turn) -> None:
        """A product named in an otherwise unclear message is an order ("0 margherit")."""
        if turn.confidence < MIN_CONFIDENCE and not turn.entities("product"):
            turn.parse = {**turn.parse, "intent": {"name": "nlu_fallback", "confidence": 0.0}}
        if turn.entities("product") and turn.intent in ("nlu_fallback", "prices", "deny"):
            has_quantity = bool(turn.entities("quantity"))
            if turn.intent == "nlu_fallback" or (has_quantity and turn.confidence < 0.6):
                self._reinterpret(turn, "add_to_cart")
        elif turn.intent == "nlu_fallback" and _ORDERING.match(fold(turn.text)):
            self._reinterpret(turn, "add_to_cart")  # "poproszę sushi": an order, not on the menu
        elif turn.intent == "nlu_fallback" and turn.entities("size"):
            self._reinterpret(turn, "change_item")  # "jednak duża"

    @staticmethod
    def _reinterpret(turn: Turn, intent: str) -> None:
        # Confident enough to interrupt a flow: the message named what it is about.
        turn.parse = {**turn.parse, "intent": {"name": intent, "confidence": INTERRUPT_CONFIDENCE}}

    async def dispatch(self, turn: Turn) -> None:
        """Run the handler or the action of the turn's intent (no flow involved)."""
        reply = self.intent_reply(turn) if self.intent_reply else None
        if reply is not None:  # the operator wrote this intent's answer
            turn.state.fallback_count = 0
            turn.replies.append(Reply(reply, self.main_buttons(turn)))
            return
        handler = self._handlers.get(turn.intent)
        if handler is not None:
            turn.state.fallback_count = 0
            await handler(turn)
            return
        action = self.actions.action_for(turn.intent)
        if action is None or not self.actions.available(action):
            await self.fallback(turn)
            return
        turn.state.fallback_count = 0
        await self.run_action(turn, action)

    async def run_action(self, turn: Turn, action: str) -> None:
        from bot.actions.runner import ActionUnavailable

        try:
            await self.actions.run(action, turn)
        except (ActionUnavailable, httpx.HTTPError, ValueError) as exc:
            log.warning("action %s failed: %r", action, exc)
            self.say(turn, "action_failed", self.main_buttons(turn))

    # -- handlers ------------------------------------------------------------------
    async def greet(self, turn: Turn) -> None:
        self.say(turn, "greet", self.main_buttons(turn))

    async def help(self, turn: Turn) -> None:
        self.say(turn, "help", self.main_buttons(turn))

    async def affirm(self, turn: Turn) -> None:
        self.say(turn, "ok_what_next", self.main_buttons(turn))

    async def deny(self, turn: Turn) -> None:
        # "not 3, 2" right after adding something corrects that line.
        if (turn.state.slots or {}).get("last_item") and (
            re.search(r"\d", turn.text) or turn.entities("size") or turn.entities("quantity")
        ):
            await self.run_action(turn, "action_change_item")
            return
        self.say(turn, "ok_what_next", self.main_buttons(turn))

    async def restart(self, turn: Turn) -> None:
        turn.state.flow, turn.state.step = None, None
        turn.state.slots = {}
        self.say(turn, "restarted", self.main_buttons(turn))

    async def complaint(self, turn: Turn) -> None:
        self.say(turn, "complaint_sorry")
        turn.handoff_reason = "complaint"

    async def human_handoff(self, turn: Turn) -> None:
        turn.handoff_reason = "customer_request"

    async def change_language(self, turn: Turn) -> None:
        text = turn.text.lower()
        wanted = turn.entity("language")
        if wanted not in ("pl", "en"):
            wanted = "en" if ("english" in text or "angiel" in text) else "pl"
        turn.customer.language = wanted
        turn.lang = wanted
        self.say(turn, "language_set", self.main_buttons(turn))

    async def fallback(self, turn: Turn) -> None:
        """The ladder: rephrase with suggestions → options and a human → hand off."""
        turn.state.fallback_count = (turn.state.fallback_count or 0) + 1
        if turn.state.fallback_count >= HANDOFF_AFTER_MISSES:
            turn.state.fallback_count = 0
            self.say(turn, "fallback_handoff")
            turn.handoff_reason = "fallback"
            return
        if turn.state.fallback_count >= 2:
            self.say(
                turn,
                "fallback_human",
                [self.button(turn, "btn_human", "human_handoff"), *self.main_buttons(turn)],
            )
            return
        self.say(turn, "fallback", self.main_buttons(turn))

    # -- kept for callers of the first engine ----------------------------------------
    def describe_line(self, product_id: str, size: str | None, quantity: int, lang: str) -> str:
        return self.cart.describe_line(product_id, size, quantity, lang)
