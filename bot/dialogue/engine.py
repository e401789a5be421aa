"""The dialogue policy: from a parsed message and the customer context to a turn's outcome.

The engine never asks which channel it is talking to; it works on the customer's
context (dialogue state, cart) and returns replies with buttons. Rendering for a
channel happens later, in one place (bot.rendering).

Policy, in order: hand-off and language intents; the active flow's own answers
(buttons, typed choices); interruptions (an FAQ, the cart, the menu — answered, then
the flow's question is asked again); free-text answers to the flow's question; and
otherwise the fallback ladder (rephrase → options with a human → hand-off). What an
intent does is decided by one `IntentRegistry`; the engine is assembled from its parts
by `bot.dialogue.assembly`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from bot.actions.context import Shop
from bot.actions.runner import ActionRunner
from bot.dialogue.flows import Flow
from bot.dialogue.joining import JoinQuestion
from bot.dialogue.other_kinds import other_kinds_named
from bot.dialogue.questions import QUESTIONS
from bot.dialogue.registry import IntentRegistry
from bot.dialogue.repair import read_in_context
from bot.dialogue.responses import Responses
from bot.dialogue.speaker import Speaker
from bot.dialogue.turn import Reply, Turn, TurnContext, TurnOutcome
from bot.domain.options import remember_options
from bot.identity import IdentityLinker
from bot.store.models import Message
from knowledge.catalog import Catalog

# Below this an intent does not interrupt a flow that expects free text (a name, an address).
INTERRUPT_CONFIDENCE = 0.8
INTERRUPTIONS = frozenset(
    "greet help thanks browse_menu product_info allergens add_to_cart remove_from_cart "
    "change_item show_cart clear_cart order_status opening_hours delivery_area delivery_time "
    "payment_methods prices faq reorder link_channels choose_fulfilment".split()
)
# Misses in a row: 1 rephrase with suggestions, 2+ options with a person, then hand off.
HANDOFF_AFTER_MISSES = 3
GLOBAL = frozenset({"human_handoff", "leave_message", "complaint", "change_language"})


class Opener(Protocol):
    """A flow that starts itself on what a message says in the customer's context."""

    async def opens(self, turn: Turn) -> bool:
        """Start the flow if the turn calls for it (True), else leave the turn alone."""


class DialogueEngine:
    """The policy over one registry and the flows; `take_turn` is all the core calls."""

    def __init__(
        self,
        shop: Shop,
        registry: IntentRegistry,
        flows: list[Flow],
        identity: IdentityLinker | None = None,
        max_message_chars: int = 2000,
        openers: Sequence[Opener] = (),
        join_question: JoinQuestion | None = None,
    ) -> None:
        self.shop = shop
        self.join_question = join_question
        self.openers = tuple(openers)
        self.registry = registry
        self.flows = {flow.name: flow for flow in flows}
        self.identity = identity
        self.max_message_chars = max_message_chars

    # What the composition root, the content service and the tests read.
    @property
    def catalog(self) -> Catalog:
        return self.shop.catalog

    @property
    def responses(self) -> Responses:
        return self.shop.responses

    @property
    def speaker(self) -> Speaker:
        return self.shop.speaker

    @property
    def actions(self) -> ActionRunner:
        return self.registry.runner

    def configure_actions(
        self, endpoint: str | None = None, domain_path: Path | None = None
    ) -> None:
        """Point unknown actions at a Rasa action server; map more intents to actions."""
        self.registry.configure_actions(endpoint, domain_path)

    # -- the core's one call ---------------------------------------------------------
    async def take_turn(self, message: Message, context: TurnContext) -> TurnOutcome:
        """Handle one stored customer message; the outcome is for the core to write."""
        turn = context.turn()
        if context.with_agent:
            # A human has the conversation: the bot says nothing, but what the channel
            # proved (a shared phone, STOP) still counts.
            if self.identity is not None:
                await self.identity.before_dialogue(turn, message, with_agent=True)
            if not turn.heard_with_agent:
                turn.replies.clear()
            return turn.outcome()
        if self.identity is not None and await self.identity.before_dialogue(turn, message):
            if turn.join_offer is not None and self.join_question is not None:
                await self.join_question.offer(turn, turn.join_offer)
            remember_options(turn.state, turn.replies[-1].buttons if turn.replies else [])
            return turn.outcome()
        if (message.payload or {}).get("truncated"):
            self.speaker.say(turn, "too_long", max=self.max_message_chars)
        # Writes wait for the core's commit: SQLite's single write lock is then held for
        # the commit alone, not through the dialogue (fair to other customers).
        with turn.session.no_autoflush:
            await self.respond(turn)
        return turn.outcome()

    # -- the policy ------------------------------------------------------------------
    def is_interruption(self, turn: Turn) -> bool:
        if turn.intent not in INTERRUPTIONS and turn.intent not in GLOBAL:
            return False
        return turn.from_button or turn.confidence >= INTERRUPT_CONFIDENCE

    async def respond(self, turn: Turn) -> None:
        """Run the policy on the turn; its replies, state and requests are in `turn`."""
        turn.parse = other_kinds_named(turn.parse, self.catalog, turn.lang)  # "sok jabłkowy"
        read_in_context(turn)
        flow = self.flows.get(turn.state.flow or "")
        if flow is None:
            await self.dispatch(turn)
            remember_options(turn.state, turn.replies[-1].buttons if turn.replies else [])
            return
        # Unless it interrupts, the message is taken as the flow's answer (or not understood
        # as one): either way an answer to a question, never an unmatched message.
        turn.flow_step = f"{flow.name}.{turn.state.step or ''}"
        if turn.intent in GLOBAL and self.is_interruption(turn) and not flow.takes_any_text:
            turn.flow_step = None
            await self.dispatch(turn)
            if turn.intent == "change_language" and turn.state.flow == flow.name:
                await flow.ask(turn)
        elif await flow.answer(turn):
            turn.state.fallback_count = 0
        elif turn.state.flow != flow.name:
            # The flow let its question go (a yes/no question answered with an order):
            # the message is handled as it would be with no flow at all.
            turn.flow_step = None
            await self.dispatch(turn)
        elif self.is_interruption(turn):
            turn.flow_step = None
            await self.dispatch(turn)
            if turn.state.flow == flow.name and not turn.handoff_reason:
                await flow.ask(turn)  # resume where we were
        elif await flow.free_answer(turn):
            turn.state.fallback_count = 0
        else:
            await self.fallback(turn)
            if turn.state.flow == flow.name and not turn.handoff_reason:
                await flow.ask(turn)
        remember_options(turn.state, turn.replies[-1].buttons if turn.replies else [])

    async def dispatch(self, turn: Turn) -> None:
        """Run what the registry says the turn's intent does (no flow involved), unless a
        flow opens on it."""
        for opener in self.openers:
            if await opener.opens(turn):
                turn.state.fallback_count = 0
                return
        handler = self.registry.resolve(turn)
        if handler is None:
            await self.fallback(turn)
            return
        turn.state.fallback_count = 0
        answered_from = len(turn.replies)
        await handler(turn)
        await self.answer_the_other_questions(turn, answered_from)

    async def answer_the_other_questions(self, turn: Turn, answered_from: int) -> None:
        """The other questions of a message of several (`bot.dialogue.questions`), each
        answered after the first, in order, in the one reply that answered the first."""
        others = turn.parse.get("also") or []
        if not others or turn.intent not in QUESTIONS or turn.handoff_reason:
            return
        first = turn.parse
        try:
            for other in others:
                turn.parse = other
                handler = self.registry.resolve(turn)
                if handler is not None:
                    await handler(turn)
        finally:
            turn.parse = first
        answers = turn.replies[answered_from:]
        if len(answers) > 1:
            buttons = list({b.payload: b for a in answers for b in a.buttons}.values())
            extra = {k: v for a in answers for k, v in a.extra.items()}
            text = "\n\n".join(a.text for a in answers if a.text)
            turn.replies[answered_from:] = [Reply(text, buttons, extra)]

    async def fallback(self, turn: Turn) -> None:
        """The ladder: rephrase with suggestions → options and a human → hand off."""
        voice = self.speaker
        turn.understood = False
        turn.state.fallback_count = (turn.state.fallback_count or 0) + 1
        if turn.state.fallback_count >= HANDOFF_AFTER_MISSES:
            turn.state.fallback_count = 0
            voice.say(turn, "fallback_handoff")
            turn.handoff_reason = "fallback"
            return
        if turn.state.fallback_count >= 2:
            voice.say(
                turn,
                "fallback_human",
                [
                    voice.button(turn.lang, "btn_human", "human_handoff"),
                    *voice.main_buttons(turn.lang),
                ],
            )
            return
        # Every rung offers a person: not being understood must never be a dead end.
        human = voice.button(turn.lang, "btn_human", "human_handoff")
        voice.say(turn, "fallback", [*voice.main_buttons(turn.lang), human])
