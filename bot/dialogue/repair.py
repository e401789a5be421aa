"""Conversation repair: what a message means at this moment, and yes/no questions, once.

Rasa CALM's idea: flows stay on their happy path, and every way a customer leaves it is
one reusable pattern. Here that is two things every flow and handler gets for free:

- `read_in_context` rereads the classifier's intent against what was just said: a size
  or a number alone right after adding items corrects those items ("jednak średnie",
  "not 3, 2"); "usuń wszystkie cole" names a product, so it removes that product and
  does not empty the cart; a name and a phone are contact details, not a linking request;
  an unclear message naming a product is an order; an order that says how it is
  fulfilled ("na wynos", "z dostawą na Długą 5") is kept for the checkout.
- `Confirmation` is a yes/no question as a tiny flow (empty the cart? ask a person?):
  yes and no are answered, anything else drops the question and is handled as usual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.actions.cart import SWAP
from bot.actions.support import asks_price_extreme
from bot.dialogue.cart import typed_numbers
from bot.dialogue.checkout import (
    WAY_TOPICS,
    address_as_before,
    done_ordering,
    labelled_address,
    remember_way,
    streets_named_like_products,
    way_alone,
    way_chosen,
    way_in_text,
)
from bot.dialogue.flows import Flow, FlowKit, said_no, said_yes
from bot.dialogue.registry import IntentRegistry
from bot.dialogue.speaker import Speaker
from bot.dialogue.turn import Handler, Turn, parse_payload
from bot.domain.order_status import OPEN
from bot.domain.phones import find_phone, readable_phone
from bot.messages import Button
from bot.orders import latest_order
from bot.store import repo
from intents.doors import door_note
from intents.features import group_view
from intents.text import fold
from knowledge.catalog import format_price
from knowledge.shop import days_in_text

# Confident enough to interrupt a flow: the message itself says what it is about.
REREAD_CONFIDENCE = 0.8
# A guess below this is no understanding (the fallback ladder takes over).
MIN_CONFIDENCE = 0.45

_ORDERING = re.compile(
    r"^\s*((hej|hejka|czesc|siema|witam|dzien dobry|dobry wieczor|hi|hey|hello|helo|"
    r"good (morning|evening))\W+)?"
    r"(poprosze|prosze o|chce|chcialbym|chcialabym|zamawiam|dodaj|do tego|i'?d like|i want|"
    r"give me|can i (get|have)|add)\b"
)
# Words that make a size or a number a correction of what was just added.
_CORRECTING = re.compile(
    r"\b(jednak|nie|zmien\w*|zamien\w*|popraw\w*|zamiast|wole|niech|mialy|maja|ma byc|mial|"
    r"pomylil\w*|sorry|zwieksz\w*|zmniejsz\w*|wymien\w*|podmien\w*|zrob|"
    r"przepraszam|not|no|actually|make|change|meant|instead|rather|oops|wrong|only|just|swap|"
    r"switch|replace|exchange|increase|reduce|update|edit|should|tylko|sorki|sory|ups|"
    r"wlasciwie|raczej|lepiej|wystarcz\w*|starcz\w*|enough|will do)\b"
)
# Words that add to what is there ("jeszcze 2 cole", "two more cokes"): never a correction.
_ADDING = re.compile(
    r"\b(jeszcze|dodatkow\w*|dorzuc\w*|dodaj\w*|kolejn\w*|wiecej|more|another|also|extra|"
    r"add\w*|too|as well|plus|tez|takze|rowniez)\b"
)
# Not wanting a product any more, said without a verb of removing ("wody jednak nie trzeba",
# "no need for the garlic sauce", "don't want the coke after all"); folded.
_NOT_WANTED = re.compile(
    r"\b(nie (jest |sa )?(trzeba|potrzeb\w*)|niepotrzebn\w*|nie bedzie potrzebn\w*|"
    r"nie bede potrzebowa\w*|juz nie chce\w*|nie chce\w* juz|"
    r"no need (for|of)|(do not|don'?t|dont) (need|want) (the|that|this|any|my)|"
    r"no longer (need|want)|(can|could) (skip|drop) the|skip the|forget (about )?the|"
    r"leave out the)\b"
)
# How much it all comes to ("ile to wyjdzie w sumie?", "what's the total"): the cart's total.
# Whether the shop has something ("czy macie sos czosnkowy?", "do you have garlic sauce?"):
# a question about the product, not an order of it; folded.
_ASKS_IF_SOLD = re.compile(
    r"^\W*(a |i |and |so )?(czy (wy )?(macie|jest|sa|bedzie)|macie|jest|sa|"
    r"do you (have|sell|do|serve)|have you got|is there|are there)\b[^?]*\?\W*$"
)
_ASKS_TOTAL = re.compile(
    r"\b(ile|how much|what|jaka|jaki)\b.*"
    r"\b(razem|w sumie|sumie|suma|lacznie|ogolem|calosc\w*|za wszystko|total|altogether|"
    r"all together|in all|overall|all in|come to|the damage|do zaplaty)\b"
)
# Asking to talk with a person, in the customer's words (folded: no diacritics): a verb of
# talking (or of asking for someone: "dajcie kogoś żywego"), then within 40 characters a
# word of the lexicon's `person` group (any inflection, read as the NLU reads it) or one of
# `_PERSON_AFTER_TALK`.
_TALK = re.compile(r"\b(speak|talk|chat|rozmawia\w*|porozmawia\w*|pogada\w*|polacz\w*|connect)\b")
# Asking for someone, in a message that orders nothing ("daj mi colę" is an order):
# "dajcie kogoś żywego", "można prosić konsultanta?", "could I get a manager".
_ASK_FOR = re.compile(
    r"\b(daj|dajcie|dawaj|dawajcie|prosic|poprosic|prosze o|poprosze|prosimy o|"
    r"give me|get me|can i (get|have)|could i (get|have)|may i have)\b"
)
_AFTER_TALK = re.compile(r".{0,40}\S*")
# Who to talk to said before the verb, in the same clause: "chcę z kimś pogadać",
# "z człowiekiem chcę rozmawiać".
_BEFORE_TALK = re.compile(r"\bz\s+[^,.;!?]{0,25}$")
# Words that name a person only after "talk to": alone they are a greeting ("jest tam ktoś?"),
# a message ("for the team") or anything alive, so the `person` group does not hold them.
_PERSON_AFTER_TALK = re.compile(r"\b(kims|kogos|zyw\w*|team|real (person|human))\b")
# Paying later ("chcę zapłacić później", "I'll pay later", "zapłacę przy odbiorze"): asks how
# paying works, answered by the shop's payment facts; no wish to check out now. Folded.
# ("płacę" folds to "place", an English word too: "I'll place the order later" orders.)
_PAY = r"(zaplac\w*|placic|oplac\w*|platnosc\w*|pay|paying|paid)"
_LATER = (
    r"(pozniej|potem|na koncu|przy (odbiorze|dostawie|drzwiach)|na miejscu|"
    r"later|afterwards|on delivery|on arrival|at the door|when (it|they|the \w+) (comes?|arrives?))"
)
_PAYS_LATER = re.compile(rf"\b{_PAY}\b.{{0,30}}\b{_LATER}\b|\b{_LATER}\b.{{0,15}}\b{_PAY}\b")
# Confirming with nothing asked: the customer means the order ("potwierdzam", "confirm").
_CONFIRMING = re.compile(r"^\W*(potwierdz\w*|zatwierdz\w*|confirm\w*)\b")
_LINKING = re.compile(r"\b(pola?cz\w*|link\w*|kod\w*|code|zweryfikuj\w*|verify|weryfik\w*|sms)\b")

# Going on in another of the shop's channels, in the customer's words ("dajcie mi kod,
# dokończę na waszej stronie", "przejdę na telegrama", "can we carry on by text message?"):
# a verb of moving on and a channel named; folded. Asking for the code that links them.
_MOVE_ON = re.compile(
    r"\b(przejd\w*|przejs\w*|przenie\w*|przenies\w*|kontynu\w*|dokoncz\w*|dokonczy\w*|"
    r"pisac dalej|pisze dalej|przelacz\w*|carry on|continue|move|switch|finish|go on|keep going|"
    r"pick (it|this) up)\b"
)
_OTHER_CHANNEL = re.compile(
    r"\b(telegram\w*|sms\w*|esem\w*|text messages?|texts?|by text|over text|"
    r"(na|do|przez) (wasz\w* |tej )?stron\w*|stronie|website|web ?chat|the site|your site|"
    r"czat\w* na stronie)\b"
)


def _moves_channel(text: str) -> bool:
    """The folded text asks to go on in another channel (see `_MOVE_ON`)."""
    return bool(_MOVE_ON.search(text) and _OTHER_CHANNEL.search(text))


# When the order comes, asked of the one bringing it or of what is brought ("za ile będzie
# kurier?", "kiedy przyjedzie kierowca?", "when will the driver get here?"): the order on its
# way (or how long orders take), not the FAQ about the driver's change; folded.
_ASKS_WHEN = re.compile(
    r"^\W*(a |i |and |so )?(za ile|kiedy|o ktorej|jak dlugo|how long|when|what time)\b"
)
_WHO_BRINGS = (
    r"(kurier\w*|kierowc\w*|dostawc\w*|driver|courier|pizz\w*|jedzeni\w*|food|zamowieni\w*|order)"
)
_COMES = re.compile(
    r"\b(przyjedzie|dojedzie|przyjdzie|dotrze|dowioza|przywioza|podjedzie|arriv\w*|"
    r"get here|gets here|be here|show up|turn up)\b"
    rf"|\b(bedzie|comes?|coming)\b.*\b{_WHO_BRINGS}\b|\b{_WHO_BRINGS}\b.*\b(bedzie|comes?|coming)\b"
)


def _asks_when_it_arrives(text: str) -> bool:
    """The folded text asks when the order (or its driver) comes (see `_ASKS_WHEN`)."""
    return bool(_ASKS_WHEN.search(text) and _COMES.search(text))


# The last order again, said beside something more ("zamów to co poprzednio i dorzuć colę",
# "same as last time plus a garlic sauce"): folded.
_AGAIN = re.compile(
    r"\b(to samo|to co|tak jak|tego co|jak)\s+(ostatnio|poprzednio|wczesniej|ostatnim razem|"
    r"zawsze|zwykle|w zeszlym tygodniu)\b|\bpowtorz\w*\b|\bponow\w*\b|"
    r"\b(same|the usual|my usual)\b.*\b(again|last time|before|as usual|order)\b|"
    r"\b(my|our|the) (last|previous) order\b|\bthe usual\b"
)


# Giving up on what was being ordered, in words that name nothing to cancel ("a nie,
# rezygnuję z tego wszystkiego", "never mind, forget it", "forget all of that"): folded. The
# cancel handler then means the cart (asked first) or the open order.
_GIVING_UP = re.compile(
    r"\b(rezygnuj\w*|zrezygnow\w*|odpuszczam|odpuscmy|dam sobie spokoj|daj(my)? sobie spokoj|"
    r"zapomnij\w* o (tym|wszystkim)|i give up|never ?mind|"
    r"(forget|scrap) (about )?(all( of)? )?(it|that|this|those|everything|the whole thing)|"
    r"call it off)\b"
)
# A complaint told as what happened: an order or delivery in the past tense ("zamawiałem
# hawajską a przywieźli pepperoni", "the pizza we got was cold") with a word of it going wrong
# or of anger, or with something it came with ("it came with ham on it", "przyszła z
# szynką"); folded. Said this way, products named are what went wrong, not an order, and an
# FAQ topic it touches (meat-free pizzas, the driver) is no question asked. (A mistake of
# one's own, "zamówiłem przez pomyłkę", "I ordered the wrong size", is no complaint.)
_HAPPENED = re.compile(
    r"\b(zamawial\w*|zamowil\w*|przywiez\w*|przywiozl\w*|przyniesl\w*|przyszl\w*|przyszed\w*|"
    r"przyjechal\w*|dotarl\w*|doszl\w*|dostal\w*|dostarczyl\w*|dowiezl\w*|"
    r"(i|we) (ordered|got|received)|you (sent|brought|delivered|gave)|arrived|came)\b"
)
_CAME_WITH = re.compile(r"\b(came|arrived|przyszl\w*|przyjechal\w*|dotarl\w*) (with|ze?)\b")
_WENT_WRONG = re.compile(
    r"\b(wsciek\w*|zdenerwowan\w*|skandal\w*|reklamac\w*|zwrot\w*|zimn\w*|spalon\w*|"
    r"przypalon\w*|surow\w*|zepsut\w*|niezadowolon\w*|rozczarowan\w*|nie to co|angry|"
    r"furious|cold|burnt|burned|refund|disappoint\w*|raw|unacceptable|not happy|terrible|"
    r"awful|disgusting|kpin\w*|zenad\w*|porazk\w*|zart\w*|ridiculous|joke|joking)\b"
)
# Waiting long for an order, told as it is ("czekam już półtorej godziny na pizzę", "we've been
# waiting over an hour"): a complaint too; folded. Asking how long one waits ("ile się czeka,
# godzinę?", "how long will we be waiting, an hour?") is the delivery-time question.
_WAITING_LONG = re.compile(
    r"^(?!\W*(?:ile|jak dlugo|czy|how|do (?:i|we)|will (?:i|we))\b).*?"
    r"\b(czekam\w*|czekamy|czekalem|czekalam|waiting|waited)\b.{0,40}"
    r"\b(godzin\w*|hour\w*|ages|forever|wiek\w*|wiecznosc\w*)\b"
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


def _drop_referred_items(turn: Turn, text: str) -> None:
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


def _declined(turn: Turn) -> list[dict[str, Any]]:
    """The products the message says no to ("no bbq", "nie chcę jednak pepperoni", "bez
    jednej capricciosy")."""
    return [
        p
        for p in turn.entities("product")
        if _DECLINED_BEFORE.search(fold(turn.text[: _item_start(turn, p)]))
    ]


def _in_cart(turn: Turn) -> set[str]:
    """The products just added or (when read with the turn) in the cart."""
    slots = turn.state.slots or {}
    lasts = [x for x in slots.get("last_items") or [slots.get("last_item")] if isinstance(x, dict)]
    cart = turn.preloaded.cart if turn.preloaded is not None else None
    items = (cart.__dict__.get("items") or []) if cart is not None else []
    return {str(x.get("product")) for x in lasts} | {str(i.product_id) for i in items}


def _swaps_declined(turn: Turn) -> bool:
    """ "nie chcę jednak pepperoni, daj hawajską", "actually no diavola, give me a
    capricciosa": a product in the cart declined and another named, without "instead": one
    for the other (`bot.actions.cart.respecify`)."""
    products = turn.entities("product")
    declined = _declined(turn)
    if not declined or len(declined) == len(products):
        return False
    held = _in_cart(turn)
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


def _declines_pending(turn: Turn, text: str) -> bool:
    """While a size is asked, the item asked about is not wanted after all: named ("jednak
    bez diavoli", "actually no diavola", "diavoli jednak nie trzeba") or not ("nie, jednak
    nie chcę tej"). No size said: "nie, dużą" answers the question."""
    if turn.state.flow != "ask_size" or turn.entities("size"):
        return False
    products = turn.entities("product")
    if not products:
        return not turn.entities("category") and bool(
            _DECLINES_IT.search(text) or _NOT_WANTED.search(text)
        )
    named = {str(p["value"]) for p in products}
    return named <= _pending_products(turn) and (
        len(_declined(turn)) == len(products) or bool(_NOT_WANTED.search(text))
    )


def _drop_declined_items(turn: Turn) -> None:
    """ "ok no bbq for me then. medium margherita and garlic sauce": the BBQ sauce is what
    they do not want, the rest is the order (a product declined alone stays as it was read;
    one declined from the cart for another is a swap)."""
    products = turn.entities("product")
    if turn.intent != "add_to_cart" or len(products) < 2 or _swaps_declined(turn):
        return
    declined = _declined(turn)
    if declined and len(declined) < len(products):
        entities = turn.parse.get("entities", [])
        turn.parse = {**turn.parse, "entities": [e for e in entities if e not in declined]}


def _asks_for_person(text: str, products: bool = False) -> bool:
    """ "czy moge porozmawiac z kims z obslugi", "could I speak with somebody from your staff",
    "dajcie kogos zywego" (not with a product named: "daj colę dla kogoś" orders)."""
    asks = [*_TALK.finditer(text), *([] if products else _ASK_FOR.finditer(text))]
    for talk in asks:
        after = _AFTER_TALK.match(text, talk.end())
        before = _BEFORE_TALK.search(text, 0, talk.start()) if talk.re is _TALK else None
        for window in (after.group(0) if after else "", before.group(0) if before else ""):
            if "~person" in group_view(window).split() or _PERSON_AFTER_TALK.search(window):
                return True
    return False


def _reread(turn: Turn, intent: str) -> None:
    turn.parse = {**turn.parse, "intent": {"name": intent, "confidence": REREAD_CONFIDENCE}}


# A number alone, maybe with its unit: "3", "2 szt.", "4 pieces".
_BARE_NUMBER = re.compile(r"^\W*\d{1,4}\W*(szt\w*|sztuk\w*|pcs|pieces?|x)?\W*$")


def _corrects_by_number(text: str) -> bool:
    """A number the NLU did not take for a quantity still corrects the items just added
    when it is all that was typed or said with a correcting word ("not 3, 2"); a street
    and house number ("Długa 12/3", "Starowiślna 20, Kraków") is an address, not a quantity."""
    return bool(typed_numbers(text)) and bool(_BARE_NUMBER.match(text) or _CORRECTING.search(text))


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


def _offers_checkout(turn: Turn) -> bool:
    """The last reply offered to check out (a cart shown with its "Order" button)."""
    return any(
        (parsed := parse_payload(str(option.get("payload") or ""))) is not None
        and parsed["intent"]["name"] == "checkout"
        for option in (turn.state.pending_options or {}).get("buttons") or []
    )


# Taking what was just shown, by a word that points at it ("I'll take it", "wezmę ją", "can
# I have that one"): folded. Read as checking out ("I'll take it"), it still names the card's
# product.
_TAKES_IT = re.compile(
    r"\b(take|have|get|want|order|add|wezm\w*|biore|bierzemy|poprosze|prosze|dodaj\w*|chce)\s+"
    r"(it|that|this|that one|this one|one|ja|je|go|te|ta|tamta|ten|tamten|to)\b"
)


def _name_the_offered_product(turn: Turn) -> None:
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


def _name_the_same_again(turn: Turn) -> None:
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
    if not _ADDING.search(text) or not (
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


def _names_just_added_only(turn: Turn) -> bool:
    """Every product the message names is among those just added."""
    slots = turn.state.slots or {}
    lasts = [x for x in slots.get("last_items") or [slots.get("last_item")] if isinstance(x, dict)]
    added = {str(x.get("product")) for x in lasts}
    return bool(added) and all(str(e["value"]) in added for e in turn.entities("product"))


def _just_added(turn: Turn) -> bool:
    slots = turn.state.slots or {}
    return bool(slots.get("last_items") or slots.get("last_item"))


def _holds_items(turn: Turn) -> bool:
    """Items were just added, or the cart read with the turn's context holds some (after a
    removal or a question nothing was "just added", yet the customer may be done)."""
    if _just_added(turn):
        return True
    cart = turn.preloaded.cart if turn.preloaded is not None else None
    return bool(cart is not None and cart.__dict__.get("items"))


# Two readings of one question ("kiedy będzie?", "when will it be?"): to a customer waiting
# for an order it asks for that order, to anyone else how long orders take. The delivery-time
# answer tells which (`bot.actions.support`), so the two together are one understanding.
_WHEN_IT_COMES = frozenset({"order_status", "delivery_time"})


def _asks_when_it_comes(turn: Turn) -> bool:
    """The NLU's two best guesses are the order's status and the delivery time, neither sure
    enough alone (a fallback) but sure together. (The out-of-scope reading, when ranked, is
    no guess of what it asks.)"""
    ranking = turn.parse.get("intent_ranking") or []
    top = [r for r in ranking if r.get("name") != "nlu_fallback"][:2]
    names = {str(r.get("name")) for r in top}
    together = sum(float(r.get("confidence") or 0) for r in top)
    return (
        names == _WHEN_IT_COMES
        and together >= MIN_CONFIDENCE
        and float(top[0].get("confidence") or 0) < MIN_CONFIDENCE
    )


# What a question naming a product may ask about it rather than order it.
_ABOUT_A_PRODUCT = frozenset({"allergens", "product_info", "prices"})


def _asked_about_product(turn: Turn) -> str | None:
    """ "a ten bbq ma gorczycę?": a question naming a product that the NLU does not read
    surely as an order, and whose next reading, before or after the order's, asks about the
    product (its allergens, what is in it, its price). Read so without being sure ("czy
    hawajska ma laktozę?" while its size is asked), it is that question all the same: it
    interrupts the question waiting, which is asked again."""
    if turn.confidence >= REREAD_CONFIDENCE or not turn.text.rstrip().endswith("?"):
        return None
    if turn.intent in _ABOUT_A_PRODUCT and turn.confidence >= MIN_CONFIDENCE:
        return turn.intent
    if turn.intent not in ("add_to_cart", "nlu_fallback"):
        return None
    ranking = [str(r.get("name")) for r in turn.parse.get("intent_ranking") or []]
    readings = [name for name in ranking if name != "nlu_fallback"][:2]
    about = next((name for name in readings if name != "add_to_cart"), None)
    return about if about in _ABOUT_A_PRODUCT else None


# Questions about the shop that the summary answers before asking again.
# What a message naming a product may do that the FAQ's words can hide when a product's name
# is also an FAQ's word ("Wegetariańska"): a change, a removal, a price asked.
_CART_STEPS = ("change_item", "remove_from_cart", "prices")
_RUNNER_UP_MIN = 0.3


def _cart_step_under_a_name(turn: Turn) -> str | None:
    """The best reading other than the FAQ when it is one of `_CART_STEPS`, sure enough."""
    readings = [
        r
        for r in turn.parse.get("intent_ranking") or []
        if r.get("name") not in ("faq", "nlu_fallback")
    ]
    if not readings or readings[0].get("name") not in _CART_STEPS:
        return None
    if float(readings[0].get("confidence") or 0.0) < _RUNNER_UP_MIN:
        return None
    return str(readings[0]["name"])


_SHOP_QUESTIONS = frozenset(
    {"payment_methods", "delivery_time", "delivery_area", "opening_hours", "prices"}
)


def _asked_at_summary(turn: Turn) -> bool:
    """ "do your drivers take cards at the door?" at the order's summary: a question about
    the shop, asked with its question mark, that the NLU reads so without being sure
    enough to interrupt — answered, not a misunderstanding."""
    return (
        turn.state.flow == "checkout"
        and turn.state.step == "confirm"
        and turn.intent in _SHOP_QUESTIONS
        and MIN_CONFIDENCE <= turn.confidence < REREAD_CONFIDENCE
        and turn.text.rstrip().endswith("?")
        and not turn.entities("product")
    )


# Changes a placed order can still take (the FAQ: until the pizza is in the oven).
_CHANGEABLE = frozenset({"new", "confirmed"})


def _changes_placed_order(turn: Turn) -> bool:
    """A correction with nothing in the cart and nothing just added, while an order placed
    is new or confirmed: it is that order the customer wants changed ("oh no, can I still
    change it to a large?", "a mozna jeszcze zmienic na duza?")."""
    preloaded = turn.preloaded
    if (
        turn.state.flow is not None
        or preloaded is None
        or turn.intent != "change_item"
        or turn.confidence < MIN_CONFIDENCE
        or _holds_items(turn)
    ):
        return False
    placed = preloaded.latest_open_order
    return placed is not None and placed.status in _CHANGEABLE


# Being open or taking orders, asked of a day ("a w sobotę też można u was coś zamówić?");
# folded.
_OPEN_ON = re.compile(
    r"\b(otwar\w*|czynn\w*|pracuj\w*|dziala\w*|jestescie|zamawia\w*|zamowi\w*|mozna|"
    r"open|order\w*|working|work)\b"
)


def _top_guess(turn: Turn) -> str | None:
    """The NLU's best reading other than out of scope, however unsure."""
    ranking = [r for r in turn.parse.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    return str(ranking[0]["name"]) if ranking else None


# Small talk that may open or close an order ("ok, to na razie mała pepperoni" reads as
# goodbye): with an item said in its size or number, the item is ordered.
_SMALL_TALK = frozenset({"goodbye", "thanks", "greet", "affirm"})


def read_in_context(turn: Turn) -> None:
    """Reread the turn's intent in the light of the conversation (see the module doc)."""
    if turn.from_button:
        return
    if turn.state.flow == "checkout" and turn.state.step == "address":
        _street_not_products(turn)
    _name_the_offered_product(turn)
    _name_the_same_again(turn)
    text = fold(turn.text)
    products = bool(turn.entities("product"))
    if not products and _asks_when_it_comes(turn):
        _reread(turn, "delivery_time")  # "kiedy bedzie?": the order on its way, if any
    elif (
        not products
        and turn.intent in ("faq", "nlu_fallback", "order_status", "payment_methods")
        and _asks_when_it_arrives(text)
        and not turn.entities("order_number")
    ):
        turn.parse = {**turn.parse, "faq": None}
        _reread(turn, "delivery_time")  # "za ile bedzie kurier?": not the driver's change
    if (
        not products
        and (turn.intent == "nlu_fallback" or turn.confidence < REREAD_CONFIDENCE)
        and (_top_guess(turn) == "opening_hours" or ("?" in turn.text and _OPEN_ON.search(text)))
        and days_in_text(turn.text)
    ):
        # "czy w niedzielę też można u was zamawiać?": that day's hours, however unsure.
        _reread(turn, "opening_hours")
    if (
        not products
        and (turn.intent == "nlu_fallback" or turn.confidence < REREAD_CONFIDENCE)
        and turn.intent not in ("prices", "complaint", "human_handoff")
        and asks_price_extreme(text)
    ):
        _reread(turn, "prices")  # "a najdroższy napój?": the dearest drink, with its price
    if turn.confidence < MIN_CONFIDENCE and not products:
        turn.parse = {**turn.parse, "intent": {"name": "nlu_fallback", "confidence": 0.0}}
    if turn.intent not in ("complaint", "human_handoff", "leave_message") and _asks_for_person(
        text, products=True
    ):
        # "I want to talk to a person about gluten free options": a person, whatever the
        # topic the rest is about and wherever the conversation stands (at the summary the
        # words would become the kitchen's note).
        _reread(turn, "human_handoff")
        return
    if _asked_at_summary(turn):
        _reread(turn, turn.intent)  # answered, then the summary again
        return
    if _changes_placed_order(turn):
        _reread(turn, "change_order")  # "oh no, can I still change it to a large?"
        return
    if (
        not products
        and turn.intent not in ("complaint", "human_handoff")
        and not (turn.intent == "link_channels" and turn.confidence >= REREAD_CONFIDENCE)
        and _moves_channel(text)
    ):
        # "przejdę na telegrama, jak to zrobić?" where the name is asked: the code (and the
        # link) to go on there, then the question again.
        _reread(turn, "link_channels")
        return
    contact = _keep_contact_said_with_order(turn) if products and turn.state.flow is None else None
    if contact is not None:
        text = fold(turn.text)  # the order alone ("duża margherita na wynos")
    intent = turn.intent
    if (
        intent in ("nlu_fallback", "change_item", "deny", "add_to_cart", "human_handoff")
        # Out of scope however sure: a request for a person in a long, unhappy message.
        and (intent == "nlu_fallback" or turn.confidence < REREAD_CONFIDENCE)
        and _asks_for_person(text, products)
    ):
        # "could I speak with somebody from your staff? … a big order": a person, whatever
        # size or product the sentence mentions — also while a size question waits.
        _reread(turn, "human_handoff")
        intent = turn.intent
    if (
        not products
        and turn.state.flow is None
        and (intent in ("nlu_fallback", "deny") or turn.confidence < REREAD_CONFIDENCE)
        and _GIVING_UP.search(text)
    ):
        _reread(turn, "cancel_order")  # "a nie, rezygnuję z tego wszystkiego"
        intent = turn.intent
    if (
        intent not in ("complaint", "human_handoff", "leave_message")
        and turn.state.flow in (None, "ask_size")
        and (
            intent == "nlu_fallback"
            or turn.confidence < REREAD_CONFIDENCE
            or (intent == "faq" and "?" not in turn.text)
        )
        and (
            (_HAPPENED.search(text) and (_WENT_WRONG.search(text) or _CAME_WITH.search(text)))
            or (not products and _WAITING_LONG.search(text))
        )
    ):
        _reread(turn, "complaint")  # "zamawiałem hawajską a przywieźli pepperoni, jestem wściekły"
        return
    if (
        turn.state.flow is None
        and not products
        and not turn.entities("phone")
        and intent not in ("complaint", "human_handoff", "leave_message")
        and door_note(turn.text)
    ):
        _reread(turn, "order_note")  # "domofon 3" after ordering: a note, not 3 pizzas
        return
    if (
        not products
        and turn.state.flow is None
        and intent in ("checkout", "payment_methods", "nlu_fallback", "faq")
        and _PAYS_LATER.search(text)
        and not any(done_ordering(part) for part in re.split(r"[,.;!]", text))
    ):
        # "chcę zapłacić później": how paying works (the shop's own words), not a checkout.
        turn.parse = {**turn.parse, "faq": None}
        _reread(turn, "payment_methods")
        return
    if _declines_pending(turn, text):
        _reread(turn, "remove_from_cart")  # "jednak bez diavoli" asked its size: not that one
        return
    _drop_referred_items(turn, text)
    _drop_declined_items(turn)
    products = bool(turn.entities("product"))
    modifies = bool(turn.entities("size") or turn.entities("quantity") or _corrects_by_number(text))
    if intent == "clear_cart" and products:
        _reread(turn, "remove_from_cart")  # "usuń wszystkie cole": the colas, not the cart
    elif not products and intent != "browse_menu" and _category_alone(turn):
        _reread(turn, "browse_menu")  # "napoje", "sosy?": the menu's category, as its chip
    elif (
        not products
        and modifies
        and not turn.entities("phone")
        and _just_added(turn)
        and (
            turn.state.flow in (None, "ask_size")
            # At the checkout's summary a size still corrects the pizzas ("nie, duża").
            or (turn.state.step == "confirm" and bool(turn.entities("size")))
        )
        and (
            intent in ("change_item", "deny", "nlu_fallback")
            or (intent == "add_to_cart" and _CORRECTING.search(text))
        )
        and not (turn.state.flow == "ask_size" and turn.entities("size"))
    ):
        _reread(turn, "change_item")  # "jednak średnie", "nie, trzy", "not 3, 2"
    elif (
        products
        and intent in ("change_item", "add_to_cart", "nlu_fallback", "deny", "remove_from_cart")
        and len(_declined(turn)) == len(turn.entities("product"))
        and {str(p["value"]) for p in turn.entities("product")} <= _in_cart(turn)
    ):
        # "a jednak bez jednej capricciosy", "actually without the cola": out of the cart,
        # however many it says (not "make it one").
        _reread(turn, "remove_from_cart")
    elif (
        products
        and intent in ("add_to_cart", "nlu_fallback", "remove_from_cart", "prices")
        and (turn.entities("quantity") or turn.entities("size") or typed_numbers(text))
        and _CORRECTING.search(text)
        and not _ADDING.search(text)
        and _names_just_added_only(turn)
    ):
        _reread(turn, "change_item")  # "sorry, only 2 cokes": that many, not 2 more
    elif len(turn.entities("product")) >= 2 and (SWAP.search(text) or _swaps_declined(turn)):
        # "zamiast margherity daj wegetariańską", "nie chcę jednak pepperoni, daj hawajską":
        # one for the other.
        _reread(turn, "change_item")
    elif (
        intent in ("change_item", "deny", "nlu_fallback", "add_to_cart", "faq", "prices")
        and len({str(e["value"]) for e in turn.entities("product")}) == 1
        and not (turn.entities("size") or turn.entities("quantity"))
        and (_NOT_WANTED.search(text) or _GIVING_UP.search(text))
    ):
        # "wody jednak nie trzeba", "z coli rezygnuję", "the juice, never mind": that
        # product goes.
        _reread(turn, "remove_from_cart")
    elif intent == "change_item" and products and not _CORRECTING.search(text):
        _reread(turn, "add_to_cart")  # "the hawaiian, large" after the menu: an order
    elif (
        turn.entities("phone")
        and intent in ("link_channels", "nlu_fallback", "human_handoff", "contact_details")
        and not _LINKING.search(text)
    ):
        _reread(turn, "contact_details")  # "Anna Kowalska, 601 234 567"
    elif products and intent == "faq" and (runner_up := _cart_step_under_a_name(turn)):
        # "zmień wegetariańską na małą", "ile kosztuje duża wegetariańska": the FAQ about
        # meat-free pizzas won on the pizza's name; what the message does is the runner-up.
        _reread(turn, runner_up)
    elif (
        products
        and intent == "faq"
        and "?" not in turn.text
        and (turn.entities("size") or _ORDERING.match(text) or _names_items_only(turn))
    ):
        # "poproszę średnią wegetariańską bez sera", "wegetarianska i cola": an order, not
        # the FAQ about meat-free pizzas.
        _reread(turn, "add_to_cart")
    elif (
        products
        and intent in WAY_TOPICS
        and "?" not in turn.text
        and way_in_text(turn.text) is not None
        and (
            turn.confidence < REREAD_CONFIDENCE
            or turn.entities("size")
            or turn.entities("quantity")
            or _ORDERING.match(text)
        )
    ):
        # "mała margherita z dowozem na Kalwaryjską 30": an order said with its way and
        # address, not the delivery-area question.
        _reread(turn, "add_to_cart")
    elif (
        not products
        and (intent == "nlu_fallback" or turn.confidence < REREAD_CONFIDENCE)
        and _ASKS_TOTAL.search(text)
    ):
        _reread(turn, "show_cart")  # "ile to wyjdzie razem?": the cart shows its total
    elif products and (about := _asked_about_product(turn)) is not None:
        _reread(turn, about)  # "a ten bbq ma gorczyce?": asked about, not ordered
    elif products and intent in ("nlu_fallback", "facilities") and _ASKS_IF_SOLD.match(text):
        # "czy macie sos czosnkowy?": shown, not added; a product is no facility (parking,
        # Wi-Fi) the bot would have to ask a person about.
        _reread(turn, "product_info")
    elif (
        not products
        and turn.entities("off_menu")
        and intent in ("nlu_fallback", "facilities", "faq", "product_info", "browse_menu")
        and _ASKS_IF_SOLD.match(text)
    ):
        # "czy macie sprite?": not on the menu, and what is of its kind (no person asked).
        _reread(turn, "product_info")
    elif not products and turn.entities("off_menu") and intent == "nlu_fallback":
        _reread(turn, "add_to_cart")  # "sok jabłkowy", "sprite": asked for, not on the menu
    elif products and intent in ("nlu_fallback", "prices", "deny"):
        if intent == "nlu_fallback" or (turn.entities("quantity") and turn.confidence < 0.6):
            _reread(turn, "add_to_cart")  # "0 margherit": an order, refused politely later
    elif (
        products
        and intent in _SMALL_TALK
        and turn.state.flow is None
        and "?" not in turn.text
        and (turn.entities("size") or turn.entities("quantity") or _ORDERING.match(text))
    ):
        _reread(turn, "add_to_cart")  # "ok, to na razie mała pepperoni": an order, no goodbye
    elif (
        products
        and turn.state.flow is None
        and intent in ("add_to_cart", "reorder", "nlu_fallback")
        and "?" not in turn.text
        and _AGAIN.search(text)
        and not address_as_before(turn.text)
    ):
        _reread(turn, "reorder")  # "zamów to co poprzednio i dorzuć colę": both
    elif _delivery_wanted_there(turn, intent, products):
        _reread(turn, "checkout")  # "I want delivery to Długa 5, Kraków": no order of nothing
    elif intent == "nlu_fallback" and _ORDERING.match(text):
        _reread(turn, "add_to_cart")  # "poproszę sushi": an order, not on the menu
    elif intent == "nlu_fallback" and turn.entities("size"):
        _reread(turn, "change_item")  # "jednak duża"
    elif _way_alone_after_order(turn, intent, products):
        _reread(turn, "checkout")  # "z dostawą", "for pickup" after filling the cart
    elif _way_chosen_aside(turn, intent, products):
        # "i zmień na odbiór osobisty" while the size is asked: kept for the checkout, and
        # the question asked again.
        _reread(turn, "choose_fulfilment")
    elif (
        turn.state.flow is None
        and intent in ("affirm", "nlu_fallback")
        and _just_added(turn)
        and _CONFIRMING.match(text)
    ):
        _reread(turn, "checkout")  # "potwierdzam" with items just ordered: check out
    elif (
        turn.state.flow is None
        and intent == "affirm"
        and not products
        and _holds_items(turn)
        and _offers_checkout(turn)
    ):
        # "tak" to the cart shown with its checkout button (a reorder put it there): the
        # offer is taken.
        _reread(turn, "checkout")
    elif (
        turn.state.flow in (None, "ask_size")
        and not products
        # "na razie tyle" reads as goodbye; with items in the cart it is done ordering.
        and (intent in ("nlu_fallback", "goodbye") or turn.confidence < REREAD_CONFIDENCE)
        and _holds_items(turn)
        and done_ordering(text)
    ):
        _reread(turn, "checkout")  # "koniec zamówienia", "done with my order": check out
    elif _address_after_delivery_said(turn, intent, products):
        # "…z dostawą", then "ul. Długa 5, Kraków" alone: where to deliver, so check out.
        slots = dict(turn.state.slots or {})
        slots["given_address"] = turn.text.strip(" ,.;:")[:300]
        turn.state.slots = slots
        _reread(turn, "checkout")
    if (
        turn.state.flow == "checkout"
        and turn.state.step in ("fulfilment", "payment")
        and products
        and turn.intent == "add_to_cart"
        and turn.confidence < REREAD_CONFIDENCE
    ):
        # "dorzuć sok" short of the delivery minimum: an item added, whatever the NLU's doubt
        # (a question that takes no free text cannot mean anything else by a product).
        _reread(turn, "add_to_cart")
    if turn.state.flow != "checkout" and turn.intent in ("add_to_cart", "checkout"):
        # "duża margherita na wynos": the checkout will not ask again. Not the address when
        # a phone was cut from the middle of it ("na Długą 5 Anna 601…": where it ends?).
        remember_way(turn, address=contact != "inside")


# Words a way said alone may come with ("to z dostawą proszę", "ok for pickup then").
_WAY_ALONE_MAX_WORDS = 5


def _way_alone_after_order(turn: Turn, intent: str, products: bool) -> bool:
    """Delivery or pickup typed on its own right after ordering ("z dostawą", "odbiorę
    osobiście", "for pickup"): the customer is checking out that way. A question ("czy jest
    dostawa?") stays a question; with nothing ordered it stays what the NLU said."""
    return (
        turn.state.flow is None
        and not products
        # "delivery" alone may read as the delivery-area question: with items just ordered
        # and no question asked, it is the way they want them.
        and (intent in ("nlu_fallback", "deny") or (intent in WAY_TOPICS and way_alone(turn.text)))
        and _holds_items(turn)
        and "?" not in turn.text
        and not turn.entities("phone")
        and len(turn.text.split()) <= _WAY_ALONE_MAX_WORDS
        and way_in_text(turn.text) is not None
    )


def _street_not_products(turn: Turn) -> None:
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


def _delivery_wanted_there(turn: Turn, intent: str, products: bool) -> bool:
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
        and _holds_items(turn)
    )


def _way_chosen_aside(turn: Turn, intent: str, products: bool) -> bool:
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
    return turn.state.flow is None and chosen.address is None and _holds_items(turn)


def _address_after_delivery_said(turn: Turn, intent: str, products: bool) -> bool:
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


# A name introduced on its own ("Jestem Hania", "this is Tom Smith"), folded or not.
_INTRODUCED = re.compile(
    r"^\W*(?:jestem|nazywam si[eę]|mam na imi[eę]|tu|z tej strony|my name is|i'?m|i am|"
    r"this is|it'?s)\s+(?P<name>[^\W\d_]+(?:[ -][^\W\d_]+)?)\W*$",
    re.I,
)
# Between the parts of a message: a comma, a dash, a sentence's end ("Kraków. Anna", not "ul.").
_SEPARATOR = re.compile(r"[,;\n]|\s[-–]\s|(?<=[^\W\d_]{3})[.!]\s")


def contact_in(text: str) -> tuple[str | None, str | None]:
    """The name and phone (E.164) in "Anna Kowalska, 601 234 567" or "imię Jan tel 600…";
    a name only when the words around the phone look like one."""
    found = find_phone(text)
    if found is None:
        return None, None
    name = (text[: found.start] + text[found.end :]).strip()
    name = " ".join(_NAME_WORDS.sub(" ", name).strip(" ,.;:-–").split())
    if not (2 <= len(name) <= 100 and re.search(r"[^\W\d_]", name)):
        return None, found.e164
    return name, found.e164


def _keep_contact_said_with_order(turn: Turn) -> str | None:
    """ "duża margherita na wynos, Anna 601 234 567": an order, and who it is for. The
    contact is kept for the checkout (as if typed alone) and cut from what the order
    actions read, so its digits order nothing; the rest is an order. None if the message
    has no phone; "apart" when the contact was a part of its own, "inside" when the phone
    was among the items."""
    text = turn.text
    found = find_phone(text)
    if found is None:
        return None
    starts = [m.end() for m in _SEPARATOR.finditer(text, 0, found.start)]
    ends = [m.start() for m in _SEPARATOR.finditer(text, found.end)]
    start, end = (starts[-1] if starts else 0), (ends[0] if ends else len(text))
    items = [e for e in turn.parse.get("entities", []) if e.get("entity") in ("product", "size")]
    inside = any(start <= int(e.get("start", 0)) < end for e in items)
    if inside:  # "margherita dla Anny 601 234 567": the phone alone is sure
        start, end = found.start, found.end
    name, phone = contact_in(text[start:end])
    if name is None and not inside and starts:
        # "Jestem Hania, 660 770 880, chcę…": the name introduced in the part before.
        before = starts[-2] if len(starts) > 1 else 0
        introduced = _INTRODUCED.match(text[before : starts[-1]])
        if introduced and not any(before <= int(e.get("start", 0)) < start for e in items):
            name, start = introduced.group("name"), before
    slots = dict(turn.state.slots or {})
    if name and not inside and not re.search(r"\d", name):
        slots["given_name"] = name
    slots["given_phone"] = phone
    turn.state.slots = slots
    rest = text[:start] + text[end:]
    lead = len(rest) - len(rest.lstrip(" ,;."))  # offsets move with what is stripped
    rest = rest.strip(" ,;.")

    def moved(e: dict[str, Any]) -> dict[str, Any]:
        shift = lead + (end - start if int(e.get("start", 0)) >= end else 0)
        return {**e, "start": int(e.get("start", 0)) - shift, "end": int(e.get("end", 0)) - shift}

    entities = [
        moved(e)
        for e in turn.parse.get("entities", [])
        if not start <= int(e.get("start", 0)) < end and e.get("entity") != "phone"
    ]
    turn.parse = {**turn.parse, "text": rest, "entities": entities}
    if turn.intent in ("contact_details", "link_channels", "human_handoff", "nlu_fallback"):
        _reread(turn, "add_to_cart")
    return "inside" if inside else "apart"


# Words that may surround items in an order that is nothing else ("poproszę X i Y, please").
_ORDER_FILLERS = frozenset(
    "poprosze prosze chce chcialbym chcialabym dodaj zamawiam wezme i a oraz plus jeszcze "
    "tez to please pls and also plus a an the i'd like want add get have".split()
)
_ITEM_ENTITIES = ("product", "size", "quantity")


# Words around a category asked for as a whole ("a do tego coś do picia", "and something to
# drink", "any sauces?"): folded.
_ASKING_FOR_SOME = _ORDER_FILLERS | frozenset(
    "cos czegos jakis jakies jakas jakiegos do tego dla mnie mi nam something anything some any "
    "for me us to then too as well with it can could would like we have you do got".split()
)


def _category_alone(turn: Turn) -> bool:
    """The message asks for one of the menu's categories and nothing else ("napoje", "Sosy?",
    "do tego coś do picia", "and something to drink")."""
    spans = [
        (int(e["start"]), int(e["end"]))
        for e in turn.parse.get("entities", [])
        if e.get("entity") == "category"
    ]
    if len(spans) != 1:
        return False
    start, end = spans[0]
    rest = fold(turn.text[:start] + " " + turn.text[end:])
    words = re.findall(r"[^\W_]+(?:'[^\W_]+)?", rest)
    return all(w in _ASKING_FOR_SOME for w in words)


def _names_items_only(turn: Turn) -> bool:
    """The message is items and ordering words alone: an order."""
    text = turn.text
    spans = sorted(
        (int(e["start"]), int(e["end"]))
        for e in turn.parse.get("entities", [])
        if e.get("entity") in _ITEM_ENTITIES
    )
    rest, at = [], 0
    for start, end in spans:
        rest.append(text[at:start])
        at = max(at, end)
    rest.append(text[at:])
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", fold(" ".join(rest)))
    return all(w in _ORDER_FILLERS for w in words)


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


class RepairHandlers:
    """The intents answered by these patterns: emptying the cart, contact details typed
    outside a flow step, and a question about the premises we have no answer to."""

    def __init__(self, kit: FlowKit) -> None:
        self.kit = kit
        voice = kit.speaker
        self.clear_cart = Confirmation(
            "confirm_clear_cart",
            voice,
            "clear_cart_confirm",
            "btn_yes_clear",
            "btn_no_keep_cart",
            self._empty_cart,
            self._keep_cart,
            # An order typed instead of the answer: the customer changed their mind, the
            # cart stays (as after "no") and the order is added to it — said, not silent.
            self._keep_cart_for_order,
        )
        self.ask_person = Confirmation(
            "offer_person",
            voice,
            "facility_unknown",
            "btn_ask_person",
            "btn_no_thanks",
            self._hand_over_question,
            self._no_thanks,
        )

    def flows(self) -> list[Flow]:
        return [self.clear_cart, self.ask_person]

    def register(self, registry: IntentRegistry) -> None:
        registry.handle("clear_cart", self._ask_before_emptying)
        registry.handle("contact_details", self._keep_contact)
        registry.handle("facilities", self._offer_a_person)
        registry.handle("cancel_order", self._cancel_what)
        registry.handle("choose_fulfilment", self._keep_way)

    async def _cart_total(self, turn: Turn) -> tuple[int, str]:
        cart = await repo.cart_of(turn.session, turn.customer.id, turn.preloaded)
        total = self.kit.shop.pricing.total(cart.items)
        return len(cart.items), format_price(total, turn.lang)

    async def _ask_before_emptying(self, turn: Turn) -> None:
        lines, total = await self._cart_total(turn)
        if not lines:
            voice = self.kit.speaker
            voice.say(turn, "cart_empty", [voice.button(turn.lang, "btn_menu", "browse_menu")])
            return
        await self.clear_cart.start(turn, total=total)

    async def _cancel_what(self, turn: Turn) -> None:
        """ "anuluj" with items in the cart and no open order: the cart is what is meant
        (emptied after a yes); otherwise the order is cancelled as usual."""
        if not turn.entities("order_number"):
            lines, _ = await self._cart_total(turn)
            if (
                lines
                and await latest_order(turn.session, turn.customer.id, OPEN, turn.preloaded) is None
            ):
                await self._ask_before_emptying(turn)
                return
        await self.kit.steps.run(turn, "action_cancel_order")

    async def _empty_cart(self, turn: Turn) -> None:
        await self.kit.steps.run(turn, "action_clear_cart")

    async def _keep_cart(self, turn: Turn) -> None:
        _, total = await self._cart_total(turn)
        self.kit.speaker.say(turn, "cart_kept", self._cart_buttons(turn), total=total)

    async def _keep_cart_for_order(self, turn: Turn) -> None:
        _, total = await self._cart_total(turn)
        self.kit.speaker.say(turn, "cart_kept_for_order", total=total)

    def _cart_buttons(self, turn: Turn) -> list[Button]:
        return self.kit.speaker.cart_buttons(turn.lang)

    async def _keep_contact(self, turn: Turn) -> None:
        """Kept in the dialogue state for the checkout; never a proven phone."""
        name, phone = contact_in(turn.text)
        slots = dict(turn.state.slots or {})
        contact = []
        if phone is not None:
            if name:
                slots["given_name"] = name
                contact.append(name)
            slots["given_phone"] = phone
            contact.append(readable_phone(phone))
        turn.state.slots = slots
        if not contact:
            self.kit.speaker.say(turn, "phone_invalid")
            return
        lines, _ = await self._cart_total(turn)
        buttons = self._cart_buttons(turn) if lines else self.kit.speaker.main_buttons(turn.lang)
        self.kit.speaker.say(turn, "contact_kept", buttons, contact=", ".join(contact))

    async def _keep_way(self, turn: Turn) -> None:
        """The way chosen before the checkout: kept for it (which then does not ask), and
        said back; a question left open is asked again by the engine."""
        remember_way(turn)
        slots = turn.state.slots or {}
        way, address = slots.get("given_fulfilment"), slots.get("given_address")
        if way not in ("delivery", "pickup"):
            self.kit.speaker.say(turn, "ok_what_next", self.kit.speaker.main_buttons(turn.lang))
            return
        key = "way_kept_delivery_to" if way == "delivery" and address else f"way_kept_{way}"
        buttons = self._cart_buttons(turn) if turn.state.flow is None else []
        self.kit.speaker.say(turn, key, buttons, address=address or "")

    async def _offer_a_person(self, turn: Turn) -> None:
        await self.ask_person.start(turn)

    async def _hand_over_question(self, turn: Turn) -> None:
        turn.handoff_reason = "question"

    async def _no_thanks(self, turn: Turn) -> None:
        self.kit.speaker.say(turn, "ok_what_next", self.kit.speaker.main_buttons(turn.lang))


# What surrounds a name in "my name is John, 600 555 444" or "imię Jan tel 600…".
_NAME_WORDS = re.compile(
    r"\b(my name is|name|i'?m|it'?s|this is|phone( number)?|number|my|is|call me( on)?|"
    r"you can reach me at|nazywam sie|nazywam się|mam na imie|mam na imię|imie|imię|"
    r"jestem|to ja|tel\.?|telefon|numer( to)?|mój|moj|kontakt( do mnie)?|dane)\b[:]?",
    re.IGNORECASE,
)
