"""Rereading a message that says how an order is fulfilled, or where: a way alone after
ordering, a way chosen aside, an address after delivery was said, a street that is no
products (`bot.dialogue.repair`)."""

from __future__ import annotations

import re

from bot.dialogue.checkout import (
    WAY_TOPICS,
    address_alone,
    done_ordering,
    labelled_address,
    streets_named_like_products,
    way_alone,
    way_chosen,
    way_in_text,
)
from bot.dialogue.rereading import REREAD_CONFIDENCE, holds_items
from bot.dialogue.turn import Turn
from intents.text import fold

# Words a way said alone may come with ("to z dostawą proszę", "ok for pickup then").
_WAY_ALONE_MAX_WORDS = 5


def way_alone_after_order(turn: Turn, intent: str, products: bool) -> bool:
    """Delivery or pickup typed on its own right after ordering ("z dostawą", "odbiorę
    osobiście", "for pickup"): the customer is checking out that way. A question ("czy jest
    dostawa?") stays a question; with nothing ordered it stays what the NLU said."""
    return (
        turn.state.flow is None
        and not products
        # "delivery" alone may read as the delivery-area question: with items just ordered
        # and no question asked, it is the way they want them.
        and (intent in ("nlu_fallback", "deny") or (intent in WAY_TOPICS and way_alone(turn.text)))
        and holds_items(turn)
        and "?" not in turn.text
        and not turn.entities("phone")
        and len(turn.text.split()) <= _WAY_ALONE_MAX_WORDS
        and way_in_text(turn.text) is not None
    )


def street_not_products(turn: Turn) -> None:
    """Asked for the address, "Tomasza 20, Kraków" is a street, not 20 tomato sauces: the
    products found in a street and its number are none, and with nothing else ordered the
    message is the address."""
    street = streets_named_like_products(turn)
    if not street:
        return
    entities = [e for e in turn.parse.get("entities", []) if e not in street]
    turn.parse = {**turn.parse, "entities": entities}
    if not any(e.get("entity") == "product" for e in entities):
        turn.parse = {**turn.parse, "intent": {"name": "nlu_fallback", "confidence": 0.0}}


# What a message may be that says where to deliver without checking out.
_NOT_CHECKING_OUT = frozenset(
    {"human_handoff", "complaint", "leave_message", "change_language", "cancel_order", "order_note"}
)


def done_with_way(turn: Turn, intent: str, products: bool) -> bool:
    """Done ordering and the way said together ("to wszystko, odbiorę sam", "that's all,
    delivery to Długa 5 please"), with items in the cart: checking out that way, not only
    choosing it."""
    if (
        turn.state.flow is not None
        or products
        or intent in _NOT_CHECKING_OUT
        or "?" in turn.text
        or turn.entities("phone")
        or way_in_text(turn.text) is None
        or not holds_items(turn)
    ):
        return False
    parts = [p for p in re.split(r"[,.;!]+|\s[-–]\s", fold(turn.text)) if p.strip()]
    return len(parts) >= 2 and any(done_ordering(p) for p in parts)


def delivery_wanted_there(turn: Turn, intent: str, products: bool) -> bool:
    """Delivery with its address wanted, with items in the cart, in words the NLU reads as
    something else ("I want delivery to Długa 5, Kraków" as an order of nothing named, "chcę
    z dostawą na Limanowskiego 10/4, Kraków" as a rating), or the address given under its
    name ("adres: Na Zjeździe 11"): the customer is checking out there. A question, an item
    named or a flow waiting for its answer keeps the reading."""
    if (
        products
        or intent in _NOT_CHECKING_OUT
        or turn.state.flow is not None
        or "?" in turn.text
        or turn.entities("category")
        or turn.entities("phone")
    ):
        return False
    said_way = way_in_text(turn.text) or labelled_address(turn.text)
    return (
        said_way is not None
        and said_way.way == "delivery"
        and bool(said_way.address)
        and holds_items(turn)
    )


def way_chosen_aside(turn: Turn, intent: str, products: bool) -> bool:
    """Delivery or pickup chosen in words ("and change the delivery to pickup") while the
    size is asked, or with items in the cart: no order, no question, no item. (With the
    cart's items, an address said with it checks out: `CheckoutFlow.opens_with_way`.)"""
    if (
        products
        or "?" in turn.text
        or turn.entities("size")
        or turn.entities("quantity")
        or turn.entities("phone")
        # "zmień na odbiór" reads as changing an item: with no item, size or number it is not.
        or not (
            intent in ("nlu_fallback", "deny", "change_item", *WAY_TOPICS)
            or turn.confidence < REREAD_CONFIDENCE
        )
    ):
        return False
    chosen = way_chosen(turn.text)
    if chosen is None:
        return False
    if turn.state.flow == "ask_size":
        return True
    return turn.state.flow is None and chosen.address is None and holds_items(turn)


def address_after_delivery_said(turn: Turn, intent: str, products: bool) -> bool:
    """An address typed on its own after an order that asked for delivery (and said no
    address): a street and a number, nothing the NLU understood otherwise."""
    slots = turn.state.slots or {}
    text = turn.text.strip()
    return (
        turn.state.flow is None
        and not products
        # Read as the delivery-area question by the NLU, it is still where to deliver.
        and intent in ("nlu_fallback", "delivery_area")
        and slots.get("given_fulfilment") == "delivery"
        and not slots.get("given_address")
        and "?" not in text
        and not turn.entities("phone")
        and 5 <= len(text) <= 300
        and bool(re.search(r"\d", text))
        and bool(re.search(r"[^\W\d_]{3}", text))
    )


def address_before_ordering(turn: Turn, intent: str, products: bool) -> str | None:
    """An address typed alone, or given under its name, before anything is ordered or the
    way chosen ("Długa 5, Kraków", "adres: Długa 5, Kraków", "my address is 5 Baker Street,
    Krakow"): where the order will go, to be kept for the checkout (not the area's list, not
    "I didn't get that"). None when the message is no such thing."""
    text = turn.text.strip()
    if (
        turn.state.flow is not None
        or products
        or intent not in ("nlu_fallback", "delivery_area")
        or "?" in text
        or turn.entities("phone")
        or (turn.state.slots or {}).get("given_fulfilment")
    ):
        return None
    if address_alone(text):
        return text.strip(" ,.;:!")[:300]
    named = labelled_address(text)
    return named.address[:300] if named is not None and named.address else None
