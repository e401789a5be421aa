"""Small flows: which size, confirm a cancellation, rate an order. Checkout has its own module.

A flow answers what it asked (buttons or typed), and can ask its question again after an
interruption. Its state lives in DialogueState (flow, step, slots), so it survives restarts
and continues in whichever channel the customer writes next.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Protocol

from bot.actions.context import Shop
from bot.dialogue.speaker import Speaker
from bot.dialogue.steps import ActionSteps
from bot.dialogue.turn import Turn, payload_for
from bot.domain.handoff import LEFT_MESSAGE
from bot.messages import Button
from bot.orders import rating_buttons
from bot.store import repo
from intents.text import fold
from knowledge.catalog import format_price


@dataclass
class FlowKit:
    """What a flow works with: the shop, a voice, and business steps to ask for."""

    shop: Shop
    speaker: Speaker
    steps: ActionSteps


class Flow(Protocol):
    name: str
    # Whatever the customer types is the answer (a message for the team), even what would
    # otherwise ask for a person or complain.
    takes_any_text: bool

    async def answer(self, turn: Turn) -> bool:
        """Handle an answer to the flow's question or a flow command; False if it is not one."""

    async def free_answer(self, turn: Turn) -> bool:
        """Take free text as the answer (names, addresses, comments); False if not wanted."""

    async def ask(self, turn: Turn) -> None:
        """Ask the current question (again)."""


def said(turn: Turn, *words: str) -> bool:
    """Whether the typed text contains one of these words (diacritics-blind, word prefix)."""
    if turn.from_button:
        return False
    return said_in(fold(turn.text), words)


def said_in(folded: str, words: tuple[str, ...]) -> bool:
    """Whether a folded text contains one of these words at a word's start (diacritics-blind)."""
    return words_at_start(words).search(folded) is not None


@functools.lru_cache(maxsize=512)
def words_at_start(words: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for the words (folded), each at a word's start: built once per word list,
    since every message asks about the same few lists."""
    if not words:
        return re.compile(r"(?!)")  # matches nothing, as any() of nothing
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(fold(w)) for w in words) + ")")


SKIP_WORDS = (
    "bez uwag",
    "brak",
    "pomin",
    "nie ma",
    "nic",
    "skip",
    "no note",
    "none",
    "nothing",
    "no thanks",
    "nie dzieki",
)


def is_skip(turn: Turn) -> bool:
    return (
        turn.intent == "deny" or said(turn, *SKIP_WORDS) or fold(turn.text).strip() in ("nie", "no")
    )


_YES = re.compile(r"^\s*(tak|ta|no tak|jasne|pewnie|ok|okej|dobrze|yes|yeah|yep|sure|please)\b")
_NO = re.compile(r"^\s*(nie|no|nope|nah|zostaw|keep)\b")


def said_yes(turn: Turn) -> bool:
    if turn.entity("confirm") == "yes":
        return True
    return turn.intent == "affirm" or bool(_YES.match(fold(turn.text)))


def said_no(turn: Turn) -> bool:
    if turn.entity("confirm") == "no":
        return True
    return turn.intent == "deny" or bool(_NO.match(fold(turn.text)))


def end_flow(turn: Turn) -> None:
    turn.state.flow, turn.state.step = None, None


# How sure "to wszystko" must be to end the size question by checking out.
DONE_SURE = 0.8


class SizeFlow:
    name = "ask_size"
    takes_any_text = False

    def __init__(self, kit: FlowKit) -> None:
        self.kit = kit

    async def answer(self, turn: Turn) -> bool:
        if turn.entities("size") and not turn.entities("product"):
            await self.kit.steps.run(turn, "action_add_to_cart")
            return True
        if self._declined(turn):
            await self._leave_out(turn)
            return True
        if turn.intent == "checkout" and (turn.from_button or turn.confidence >= DONE_SURE):
            # "to wszystko" with the size still asked: done ordering. The item with no size
            # is left out (said so) and the message goes on to the checkout.
            pending = (turn.state.slots or {}).get("pending_items") or []
            catalog = self.kit.shop.catalog
            names = [
                catalog.products[p["product"]].name(turn.lang)
                for p in pending
                if p.get("product") in catalog.products
            ]
            self._drop(turn)
            if names:
                self.kit.speaker.say(turn, "size_skipped", product=", ".join(names))
        return False

    @staticmethod
    def _declined(turn: Turn) -> bool:
        """No to the item asked about: "nie", "anuluj", or a removal naming only what waits
        for its size, or nothing (`bot.dialogue.repair` reads "jednak bez diavoli" so)."""
        if turn.intent == "deny" or said(turn, "anuluj", "cancel", "jednak nie"):
            return True
        slots = turn.state.slots or {}
        pending = {str(p.get("product")) for p in slots.get("pending_items") or []}
        named = {str(p["value"]) for p in turn.entities("product")}
        return (
            turn.intent == "remove_from_cart"
            and named <= pending
            and (bool(named) or not turn.entities("category"))
        )

    async def _leave_out(self, turn: Turn) -> None:
        """Leave out the items declined (those named, else the one asked about), say so with
        the cart as it is, and ask the next size if another waits."""
        slots = dict(turn.state.slots or {})
        pending = list(slots.get("pending_items") or [])
        named = {str(p["value"]) for p in turn.entities("product")}
        dropped = [p for p in pending if str(p.get("product")) in named] or pending[:1]
        left = [p for p in pending if p not in dropped]
        slots["pending_items"] = left or None
        turn.state.slots = slots
        catalog, voice = self.kit.shop.catalog, self.kit.speaker
        names = ", ".join(
            catalog.products[p["product"]].name(turn.lang)
            for p in dropped
            if p.get("product") in catalog.products
        )
        if left:
            voice.say(turn, "size_dropped", product=names)
            await self.ask(turn)
            return
        self._drop(turn)
        cart = await repo.cart_of(turn.session, turn.customer.id, turn.preloaded)
        if not cart.items:
            voice.say(turn, "size_dropped_cart_empty", voice.main_buttons(turn.lang), product=names)
            return
        total = format_price(self.kit.shop.pricing.total(cart.items), turn.lang)
        voice.say(
            turn, "size_dropped_cart", voice.cart_buttons(turn.lang), product=names, total=total
        )

    @staticmethod
    def _drop(turn: Turn) -> None:
        end_flow(turn)
        turn.state.slots = {
            k: v for k, v in (turn.state.slots or {}).items() if k != "pending_items"
        }

    async def free_answer(self, turn: Turn) -> bool:
        return False

    async def ask(self, turn: Turn) -> None:
        pending = (turn.state.slots or {}).get("pending_items") or []
        product = self.kit.shop.catalog.products.get(pending[0]["product"]) if pending else None
        if product is None:
            end_flow(turn)
            return
        quantity = pending[0].get("quantity") or 1
        buttons = [
            Button(
                f"{self.kit.shop.catalog.size_name(s, turn.lang)} — {format_price(v, turn.lang)}",
                payload_for("add_to_cart", product=product.id, size=s, quantity=quantity),
            )
            for s, v in product.prices.items()
        ]
        self.kit.speaker.say(turn, "ask_size", buttons, product=product.name(turn.lang))


class CancelOrderFlow:
    name = "cancel_order"
    takes_any_text = False

    def __init__(self, kit: FlowKit) -> None:
        self.kit = kit

    async def answer(self, turn: Turn) -> bool:
        if turn.intent == "affirm" or (
            turn.intent == "cancel_order" and not turn.entities("order_number")
        ):
            await self.kit.steps.run(turn, "action_cancel_order_confirmed")
            return True
        if turn.intent == "deny":
            end_flow(turn)
            self.kit.speaker.say(
                turn,
                "cancel_kept",
                self.kit.speaker.main_buttons(turn.lang),
                number=(turn.state.slots or {}).get("order_number", ""),
            )
            return True
        return False

    async def free_answer(self, turn: Turn) -> bool:
        return False

    async def ask(self, turn: Turn) -> None:
        voice = self.kit.speaker
        voice.say(
            turn,
            "cancel_confirm_again",
            [
                voice.button(turn.lang, "btn_yes_cancel", "affirm"),
                voice.button(turn.lang, "btn_no_keep", "deny"),
            ],
            number=(turn.state.slots or {}).get("order_number", ""),
        )


class RateFlow:
    name = "rate"
    takes_any_text = False

    def __init__(self, kit: FlowKit) -> None:
        self.kit = kit

    def _set(self, turn: Turn, **slots: object) -> None:
        turn.state.slots = {**(turn.state.slots or {}), **slots}

    async def answer(self, turn: Turn) -> bool:
        if turn.intent == "rate_order" and turn.entities("rating"):
            await self.kit.steps.run(turn, "action_rate_order")
            return True
        if turn.state.step == "rating":
            stars = re.fullmatch(r"\s*([1-5])\s*(/\s*5)?\s*\S{0,12}\s*", turn.text)
            count = turn.text.count("★") or turn.text.count("⭐")  # our buttons; typed emoji
            value = int(stars.group(1)) if stars else (count if 1 <= count <= 5 else None)
            if value is None:
                return False
            self._set(turn, rating=value)
            await self.kit.steps.run(turn, "action_rate_order")
            return True
        if turn.state.step == "rating_comment":
            comment = turn.entity("comment")
            if comment is not None or is_skip(turn):
                self._set(turn, rating_comment=str(comment or ""))
                await self.kit.steps.run(turn, "action_rate_comment")
                return True
        return False

    async def free_answer(self, turn: Turn) -> bool:
        if turn.state.step != "rating_comment" or not turn.text.strip():
            return False
        self._set(turn, rating_comment=turn.text.strip())
        await self.kit.steps.run(turn, "action_rate_comment")
        return True

    async def ask(self, turn: Turn) -> None:
        number = str((turn.state.slots or {}).get("order_number", ""))
        if turn.state.step == "rating_comment":
            skip = Button(
                self.kit.speaker.text("btn_no_comment", turn.lang),
                payload_for("inform", comment=""),
            )
            self.kit.speaker.say(turn, "rate_comment_again", [skip])
            return
        self.kit.speaker.say(turn, "rate_ask", rating_buttons(number), number=number)


class LeaveMessageFlow:
    """Nobody from the team can answer now: what the customer writes next is kept for them.

    The flow only asks and takes the text; the core keeps it in the agents' inbox (the
    turn's handoff reason says so) and tells the customer.
    """

    name = "leave_message"
    takes_any_text = True
    STEP = "message"

    def __init__(self, kit: FlowKit) -> None:
        self.kit = kit

    async def start(self, turn: Turn) -> None:
        turn.state.flow, turn.state.step = self.name, self.STEP
        await self.ask(turn)

    async def answer(self, turn: Turn) -> bool:
        if turn.from_button and turn.intent != "deny":
            return False  # another button (Menu…): the policy takes it as an interruption
        if turn.from_button or fold(turn.text).strip(" .!") in ("anuluj", "cancel"):
            end_flow(turn)
            self.kit.speaker.say(turn, "ok_what_next", self.kit.speaker.main_buttons(turn.lang))
            return True
        if not turn.text.strip():
            return False
        end_flow(turn)
        turn.handoff_reason = LEFT_MESSAGE
        return True

    async def free_answer(self, turn: Turn) -> bool:
        return False

    async def ask(self, turn: Turn) -> None:
        cancel = self.kit.speaker.button(turn.lang, "btn_cancel_message", "deny")
        self.kit.speaker.say(turn, "leave_message_ask", [cancel])


def small_flows(kit: FlowKit) -> list[Flow]:
    """The small flows (checkout has its own module)."""
    return [SizeFlow(kit), CancelOrderFlow(kit), RateFlow(kit)]
