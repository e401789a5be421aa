"""The dialogue policy: from a parsed message and the customer context to replies.

The engine never asks which channel it is talking to; it works on the customer's
context (dialogue state, cart) and returns replies with buttons. Rendering for a
channel happens later, in one place (bot.rendering).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogue.responses import Responses
from bot.messages import Button
from bot.store import repo
from bot.store.models import Cart, CartItem, Conversation, Customer, DialogueState
from knowledge.catalog import Catalog, format_price

log = logging.getLogger(__name__)

MAX_QUANTITY = 20
_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.S)


@dataclass
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)


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
    def __init__(self, catalog: Catalog, responses: Responses) -> None:
        self.catalog = catalog
        self.responses = responses
        self._handlers: dict[str, Handler] = {
            "greet": self.greet,
            "help": self.help,
            "browse_menu": self.browse_menu,
            "add_to_cart": self.add_to_cart,
            "show_cart": self.show_cart,
            "clear_cart": self.clear_cart,
            "thanks": self.simple("thanks"),
            "goodbye": self.simple("goodbye"),
            "change_language": self.change_language,
        }

    def register(self, intent: str, handler: Handler) -> None:
        """Add or replace the handler of an intent (the composition root wires extras)."""
        self._handlers[intent] = handler

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

    # -- entry point ---------------------------------------------------------------
    async def respond(self, turn: Turn) -> list[Reply]:
        handler = self._handlers.get(turn.intent)
        if turn.state.flow == "ask_size" and turn.entity("size") and turn.intent != "add_to_cart":
            handler = self.add_to_cart
        if handler is None:
            await self.fallback(turn)
        else:
            turn.state.fallback_count = 0
            await handler(turn)
        buttons = turn.replies[-1].buttons if turn.replies else []
        turn.state.pending_options = (
            {"buttons": [b.as_dict() for b in buttons]} if buttons else None
        )
        return turn.replies

    # -- handlers ------------------------------------------------------------------
    async def greet(self, turn: Turn) -> None:
        self.say(turn, "greet", self.main_buttons(turn))

    async def help(self, turn: Turn) -> None:
        self.say(turn, "help", self.main_buttons(turn))

    async def change_language(self, turn: Turn) -> None:
        text = str(turn.parse.get("text", "")).lower()
        wanted = turn.entity("language")
        if wanted not in ("pl", "en"):
            wanted = "en" if ("english" in text or "angiel" in text) else "pl"
        turn.customer.language = wanted
        turn.lang = wanted
        self.say(turn, "language_set", self.main_buttons(turn))

    async def browse_menu(self, turn: Turn) -> None:
        category_id = turn.entity("category")
        category = self.catalog.category(category_id) if category_id else None
        if category is None:
            buttons = [
                Button(c.name(turn.lang), payload_for("browse_menu", category=c.id))
                for c in self.catalog.categories
            ]
            self.say(turn, "choose_category", buttons)
            return
        products = self.catalog.in_category(category.id)
        if not products:
            self.say(turn, "category_empty", self.main_buttons(turn))
            return
        lines = []
        for p in products:
            prices = " / ".join(format_price(v, turn.lang) for v in p.prices.values())
            desc = p.description(turn.lang)
            lines.append(f"• {p.name(turn.lang)} — {prices}" + (f" ({desc})" if desc else ""))
        buttons = [
            Button(
                self.responses.render("btn_add", turn.lang, product=p.name(turn.lang)),
                payload_for("add_to_cart", product=p.id),
            )
            for p in products
        ]
        self.say(
            turn,
            "category_list",
            buttons,
            category=category.name(turn.lang),
            items="\n".join(lines),
        )

    async def add_to_cart(self, turn: Turn) -> None:
        slots = turn.state.slots or {}
        product_id = turn.entity("product") or (
            slots.get("pending_product") if turn.state.flow == "ask_size" else None
        )
        if product_id is None:
            await self.browse_menu(turn)
            return
        product = self.catalog.products.get(str(product_id))
        if product is None or not product.available:
            self.say(turn, "unknown_product", product=product_id)
            await self.browse_menu(turn)
            return
        quantity = turn.entity("quantity") or slots.get("pending_quantity") or 1
        try:
            quantity = int(quantity)
        except (TypeError, ValueError):
            quantity = 1
        if not 1 <= quantity <= MAX_QUANTITY:
            self.say(turn, "bad_quantity", max=MAX_QUANTITY)
            return
        size = turn.entity("size")
        if product.sized and size not in product.prices:
            turn.state.flow = "ask_size"
            turn.state.slots = {
                **slots,
                "pending_product": product.id,
                "pending_quantity": quantity,
            }
            buttons = [
                Button(
                    f"{self.catalog.size_name(s, turn.lang)} — {format_price(v, turn.lang)}",
                    payload_for("add_to_cart", product=product.id, size=s, quantity=quantity),
                )
                for s, v in product.prices.items()
            ]
            self.say(turn, "ask_size", buttons, product=product.name(turn.lang))
            return
        turn.state.flow = None
        turn.state.slots = {
            k: v for k, v in slots.items() if k not in ("pending_product", "pending_quantity")
        }
        cart = await repo.cart_of(turn.session, turn.customer.id)
        size_key = size if product.sized else None
        line = next(
            (i for i in cart.items if i.product_id == product.id and i.size == size_key), None
        )
        if line is None:
            cart.items.append(CartItem(product_id=product.id, size=size_key, quantity=quantity))
        else:
            line.quantity = min(line.quantity + quantity, MAX_QUANTITY * 5)
        cart.reminded_at = None
        item = self.describe_line(product.id, size_key, quantity, turn.lang)
        self.say(
            turn,
            "added",
            [
                self.button(turn, "btn_cart", "show_cart"),
                self.button(turn, "btn_menu", "browse_menu"),
            ],
            item=item,
            total=format_price(self.cart_total(cart), turn.lang),
        )

    async def show_cart(self, turn: Turn) -> None:
        cart = await repo.cart_of(turn.session, turn.customer.id)
        if not cart.items:
            self.say(turn, "cart_empty", [self.button(turn, "btn_menu", "browse_menu")])
            return
        lines = [
            "• " + self.describe_line(i.product_id, i.size, i.quantity, turn.lang)
            for i in cart.items
        ]
        self.say(
            turn,
            "cart",
            [
                self.button(turn, "btn_menu", "browse_menu"),
                self.button(turn, "btn_clear_cart", "clear_cart"),
            ],
            items="\n".join(lines),
            total=format_price(self.cart_total(cart), turn.lang),
        )

    async def clear_cart(self, turn: Turn) -> None:
        cart = await repo.cart_of(turn.session, turn.customer.id)
        cart.items.clear()
        self.say(turn, "cart_cleared", [self.button(turn, "btn_menu", "browse_menu")])

    async def fallback(self, turn: Turn) -> None:
        turn.state.fallback_count = (turn.state.fallback_count or 0) + 1
        if turn.state.fallback_count >= 2:
            self.say(
                turn,
                "fallback_human",
                [self.button(turn, "btn_human", "human_handoff"), *self.main_buttons(turn)],
            )
            return
        self.say(turn, "fallback", self.main_buttons(turn))

    # -- cart maths ----------------------------------------------------------------
    def describe_line(self, product_id: str, size: str | None, quantity: int, lang: str) -> str:
        product = self.catalog.products.get(product_id)
        name = product.name(lang) if product else product_id
        size_name = self.catalog.size_name(size, lang)
        price = self.line_price(product_id, size) * quantity
        return (
            f"{quantity} × {name}"
            + (f" ({size_name})" if size_name else "")
            + (f" — {format_price(price, lang)}")
        )

    def line_price(self, product_id: str, size: str | None) -> int:
        product = self.catalog.products.get(product_id)
        if product is None:
            return 0
        try:
            return product.price(size)
        except KeyError:
            return 0

    def cart_total(self, cart: Cart) -> int:
        return sum(self.line_price(i.product_id, i.size) * i.quantity for i in cart.items)
