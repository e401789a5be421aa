"""Rereading the items a message names against what was just ordered: more of the same, the
product just shown, one declined or swapped, one that goes with another, one no longer
wanted while its size is asked (`bot.dialogue.repair`)."""

from __future__ import annotations

import re
from typing import Any

from bot.actions.cart import SWAP
from bot.dialogue.rereading import MIN_CONFIDENCE, REREAD_CONFIDENCE
from bot.dialogue.turn import Turn, parse_payload
from intents.text import fold

# Words that add to what is there ("jeszcze 2 cole", "two more cokes"): never a correction.
ADDING = re.compile(
    r"\b(jeszcze|dodatkow\w*|dorzuc\w*|dodaj\w*|kolejn\w*|wiecej|more|another|also|extra|"
    r"add\w*|too|as well|plus|tez|takze|rowniez)\b"
)

# Not wanting a product any more, said without a verb of removing ("wody jednak nie trzeba",
# "soku nie biorę", "no need for the garlic sauce", "don't want the coke after all"); folded.
NOT_WANTED = re.compile(
    r"\b(nie (jest |sa )?(trzeba|potrzeb\w*)|niepotrzebn\w*|nie bedzie potrzebn\w*|"
    r"nie (bior\w*|wezm\w*|bierzemy)|"
    r"nie bede potrzebowa\w*|juz nie chce\w*|nie chce\w* juz|"
    r"no need (for|of)|(do not|don'?t|dont) (need|want) (the|that|this|any|my)|"
    r"no longer (need|want)|(can|could) (skip|drop) the|skip the|forget (about )?the|"
    r"leave out the)\b"
)

# A product declined while others are ordered ("no bbq for me then. a medium margherita",
# "bez coli, ale poproszę wodę"): folded text right before the declined product's name.
_DECLINED_BEFORE = re.compile(
    r"\b(no|not|without|bez|zadn\w*|nie chce\w*|nie bede|don'?t want|do not want)"
    r"(\s+(jednak|juz|tej|tego|tych|actually|after all|the|any|that|more))*\s+$"
)

# A product named as what an item goes with ("2 cole do tej wege", "a coke for that
# pizza", "dip to go with the diavola"): folded text right before the product's name.
_GOES_WITH = re.compile(
    r"\b(do|dla|obok|for|with|to go with|to)\s+"
    r"(tej|tego|tych|tamtej|tamtego|tamtych|mojej|mojego|moich|that|this|those|these|the|my)\s+$"
)


def drop_referred_items(turn: Turn, text: str) -> None:
    """ "ok, to jeszcze 2 cole do tej wege": the vegetarian pizza just added is what the colas
    go with, not a second one ordered (another product in the message is)."""
    products = turn.entities("product")
    if turn.intent != "add_to_cart" or len(products) < 2 or SWAP.search(text):
        return
    slots = turn.state.slots or {}
    lasts = [x for x in slots.get("last_items") or [slots.get("last_item")] if isinstance(x, dict)]
    added = {str(x.get("product")) for x in lasts}
    entities = turn.parse.get("entities", [])
    referred = [
        p
        for p in products
        if str(p["value"]) in added and _GOES_WITH.search(fold(turn.text[: int(p.get("start", 0))]))
    ]
    if referred and len(referred) < len(products):
        turn.parse = {**turn.parse, "entities": [e for e in entities if e not in referred]}


def _item_start(turn: Turn, product: dict[str, Any]) -> int:
    """Where the item naming `product` starts: with its number or size said right before
    it ("bez jednej capricciosy", "no large diavola")."""
    start = int(product.get("start", 0))
    before = sorted(
        (e for e in turn.parse.get("entities", []) if e.get("entity") in ("quantity", "size")),
        key=lambda e: -int(e.get("start", 0)),
    )
    for e in before:
        if int(e.get("end", 0)) <= start and not turn.text[int(e.get("end", 0)) : start].strip():
            start = int(e.get("start", 0))
    return start


def declined_products(turn: Turn) -> list[dict[str, Any]]:
    """The products the message says no to ("no bbq", "nie chcę jednak pepperoni", "bez
    jednej capricciosy")."""
    return [
        p
        for p in turn.entities("product")
        if _DECLINED_BEFORE.search(fold(turn.text[: _item_start(turn, p)]))
    ]


def in_cart(turn: Turn) -> set[str]:
    """The products just added or (when read with the turn) in the cart."""
    slots = turn.state.slots or {}
    lasts = [x for x in slots.get("last_items") or [slots.get("last_item")] if isinstance(x, dict)]
    cart = turn.preloaded.cart if turn.preloaded is not None else None
    items = (cart.__dict__.get("items") or []) if cart is not None else []
    return {str(x.get("product")) for x in lasts} | {str(i.product_id) for i in items}


def swaps_declined(turn: Turn) -> bool:
    """ "nie chcę jednak pepperoni, daj hawajską", "actually no diavola, give me a
    capricciosa": a product in the cart declined and another named, without "instead": one
    for the other (`bot.actions.cart.respecify`)."""
    products = turn.entities("product")
    declined = declined_products(turn)
    if not declined or len(declined) == len(products):
        return False
    held = in_cart(turn)
    named = {str(p["value"]) for p in products}
    return {str(p["value"]) for p in declined} <= held and not named <= held


# Not wanting the item a question is about, without naming it ("nie, jednak nie chcę tej",
# "no, I don't want that one", "forget it", "a jednak nie"): folded.
_DECLINES_IT = re.compile(
    r"\b(nie chce\w*|nie bede\w*|nie potrzebuj\w*|rezygnuj\w*|zrezygnuj\w*|bez|"
    r"(do not|don'?t|dont) (want|need)|no longer (want|need)|not|skip|drop|forget( about)?)"
    r"(\s+(jednak|juz|z|after all|actually))*\s+"
    r"(tej|tego|jej|go|niej|niego|ich|tych|nich|it|that|this|them|those)\b"
    r"|^\W*(a\s+|no\s+|oh\s+)?(jednak|actually)\W+(nie|no|not)\W*$"
)


def _pending_products(turn: Turn) -> set[str]:
    """The products whose size is being asked."""
    pending = (turn.state.slots or {}).get("pending_items") or []
    return {str(p.get("product")) for p in pending if isinstance(p, dict)}


def declines_pending(turn: Turn, text: str) -> bool:
    """While a size is asked, the item asked about is not wanted after all: named ("jednak
    bez diavoli", "actually no diavola", "diavoli jednak nie trzeba") or not ("nie, jednak
    nie chcę tej"). No size said: "nie, dużą" answers the question."""
    if turn.state.flow != "ask_size" or turn.entities("size"):
        return False
    products = turn.entities("product")
    if not products:
        return not turn.entities("category") and bool(
            _DECLINES_IT.search(text) or NOT_WANTED.search(text)
        )
    named = {str(p["value"]) for p in products}
    return named <= _pending_products(turn) and (
        len(declined_products(turn)) == len(products) or bool(NOT_WANTED.search(text))
    )


def drop_declined_items(turn: Turn) -> None:
    """ "ok no bbq for me then. medium margherita and garlic sauce": the BBQ sauce is what
    they do not want, the rest is the order (a product declined alone stays as it was read;
    one declined from the cart for another is a swap)."""
    products = turn.entities("product")
    if turn.intent != "add_to_cart" or len(products) < 2 or swaps_declined(turn):
        return
    declined = declined_products(turn)
    if declined and len(declined) < len(products):
        entities = turn.parse.get("entities", [])
        turn.parse = {**turn.parse, "entities": [e for e in entities if e not in declined]}


def _offered_product(turn: Turn) -> list[dict[str, Any]]:
    """What the last reply offered to add, when it offered exactly one product (its card):
    the product's entity, and its size's when the card offered one size ("ile kosztuje duża
    margherita?"); nothing otherwise."""
    offered: dict[str, list[dict[str, Any]]] = {}
    for option in (turn.state.pending_options or {}).get("buttons") or []:
        parsed = parse_payload(str(option.get("payload") or ""))
        if parsed and parsed["intent"]["name"] == "add_to_cart":
            entities = parsed["entities"]
            for e in entities:
                if e["entity"] == "product":
                    offered[str(e["value"])] = [x for x in entities if x["entity"] == "size"]
    if len(offered) != 1:
        return []
    product, sizes = offered.popitem()
    return [{"entity": "product", "value": product}, *sizes[:1]]


def asks_what_to_remove(turn: Turn) -> bool:
    """The last reply asked which item to take out (its buttons remove one each)."""
    return _offers(turn, "remove_from_cart")


def offers_checkout(turn: Turn) -> bool:
    """The last reply offered to check out (a cart shown with its "Order" button)."""
    return _offers(turn, "checkout")


def _offers(turn: Turn, intent: str) -> bool:
    """A button of the last reply runs `intent`."""
    return any(
        (parsed := parse_payload(str(option.get("payload") or ""))) is not None
        and parsed["intent"]["name"] == intent
        for option in (turn.state.pending_options or {}).get("buttons") or []
    )


# Taking what was just shown, by a word that points at it ("I'll take it", "wezmę ją", "can
# I have that one"): folded. Read as checking out ("I'll take it"), it still names the card's
# product.
_TAKES_IT = re.compile(
    r"\b(take|have|get|want|order|add|wezm\w*|biore|bierzemy|poprosze|prosze|dodaj\w*|chce)\s+"
    r"(it|that|this|that one|this one|one|ja|je|go|te|ta|tamta|ten|tamten|to)\b"
)


def name_the_offered_product(turn: Turn) -> None:
    """ "to poproszę małą", "yes, 2 please", "to poproszę ją", "I'll take it" right after a
    product's card ("Add Capricciosa"): that product, in the size and number said, or else
    in the size the card offered."""
    if turn.state.flow is not None or turn.entities("product") or turn.entities("phone"):
        return
    sized = bool(turn.entities("size") or turn.entities("quantity"))
    if not (
        (sized and turn.intent in ("add_to_cart", "change_item", "nlu_fallback", "affirm"))
        or (turn.intent == "affirm" and turn.confidence >= MIN_CONFIDENCE)
        # An order naming nothing: "pizza" or "napoje" name their category instead.
        or (turn.intent == "add_to_cart" and not turn.entities("category"))
        or (turn.intent in ("checkout", "nlu_fallback") and _TAKES_IT.search(fold(turn.text)))
    ):
        return
    offered = _offered_product(turn)
    if not offered:
        return
    if turn.entities("size"):  # "to poproszę małą": the size said wins over the card's
        offered = [e for e in offered if e["entity"] != "size"]
    end = len(turn.text)
    named = [
        {"entity": e["entity"], "value": e["value"], "start": end, "end": end, "confidence": 0.9}
        for e in offered
    ]
    turn.parse = {
        **turn.parse,
        "intent": {"name": "add_to_cart", "confidence": REREAD_CONFIDENCE},
        "entities": [*turn.parse.get("entities", []), *({**e, "group": 0} for e in named)],
    }


# "i jeszcze jedną taką samą", "2 more", "another one please": nothing but words of adding,
# numbers and "the same"; folded.
_SAME_AGAIN_WORDS = frozenset(
    """
    i a and to ok okej dobra poprosze prosze please pls daj dodaj dorzuc jeszcze more another
    one two three jeden jedna jedno jednej dwie dwa trzy taka takie taki sama same
    sam samo tego samego the of that again too also plus x raz razy
    """.split()
)


def name_the_same_again(turn: Turn) -> None:
    """ "i jeszcze jedną taką samą", "2 more please", "my friend wants one too" right after
    one item was added: more of that item, in its size, rather than a correction of its
    number."""
    if turn.state.flow is not None or turn.entities("product") or turn.entities("phone"):
        return
    if turn.intent not in ("add_to_cart", "change_item", "nlu_fallback", "affirm"):
        return
    text = fold(turn.text)
    words = re.findall(r"[^\W\d_]+|\d+", text)
    # "actually my friend wants one too": a number and a word of adding, in other words
    # around them, is more of the same too (a size or a kind said is something else).
    told = bool(
        turn.entities("quantity")
        and not turn.entities("size")
        and not turn.entities("category")
        and "?" not in turn.text
    )
    if not ADDING.search(text) or not (
        told or all(w.isdecimal() or w in _SAME_AGAIN_WORDS for w in words)
    ):
        return
    slots = turn.state.slots or {}
    lasts = [x for x in slots.get("last_items") or [slots.get("last_item")] if isinstance(x, dict)]
    if len(lasts) != 1 or not lasts[0].get("product"):
        return
    end = len(turn.text)
    said = [{"entity": "product", "value": str(lasts[0]["product"])}]
    if lasts[0].get("size") and not turn.entities("size"):
        said.append({"entity": "size", "value": str(lasts[0]["size"])})
    turn.parse = {
        **turn.parse,
        "intent": {"name": "add_to_cart", "confidence": REREAD_CONFIDENCE},
        "entities": [
            *turn.parse.get("entities", []),
            *({**e, "start": end, "end": end, "confidence": 0.9, "group": 0} for e in said),
        ],
    }


def names_just_added_only(turn: Turn) -> bool:
    """Every product the message names is among those just added."""
    slots = turn.state.slots or {}
    lasts = [x for x in slots.get("last_items") or [slots.get("last_item")] if isinstance(x, dict)]
    added = {str(x.get("product")) for x in lasts}
    return bool(added) and all(str(e["value"]) in added for e in turn.entities("product"))


# One thing said to be another ("the waters should be lemonades", "cole miały być
# lemoniadami"): folded.
_SHOULD_BE = re.compile(
    r"\b(should (have )?be(en)?|were (meant|supposed) to be|meant to be|ma(ja)? byc|"
    r"mial[aoy]? byc|powinn\w* byc)\b"
)


def becomes_another(turn: Turn, text: str) -> bool:
    """A product in the cart said to be another not in it ("the waters should be
    lemonades"): a swap, not the removal of both."""
    found = _SHOULD_BE.search(text)
    if found is None:
        return False
    cart = in_cart(turn)
    at = found.start()  # folding keeps offsets: the same in the typed text
    before = [p for p in turn.entities("product") if int(p.get("start", 0)) < at]
    after = [p for p in turn.entities("product") if int(p.get("start", 0)) >= at]
    return (
        bool(before and after)
        and all(str(p["value"]) in cart for p in before)
        and not any(str(p["value"]) in cart for p in after)
    )
