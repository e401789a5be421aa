"""Questions the NLU reads too narrowly or not surely enough: when it comes (the order on
its way or how long orders take), a question about a product that names it, a cart step
hidden under a name that is also an FAQ word, a shop question at the summary, whether
something is sold, what it all comes to, when the order or its driver comes, a day's
hours asked unsurely."""

from __future__ import annotations

import re

from bot.dialogue.rereading import MIN_CONFIDENCE, REREAD_CONFIDENCE
from bot.dialogue.turn import Turn
from intents.text import fold

# How much it all comes to ("ile to wyjdzie w sumie?", "what's the total"): the cart's total.
# Whether the shop has something ("czy macie sos czosnkowy?", "do you have garlic sauce?"):
# a question about the product, not an order of it; folded.
ASKS_IF_SOLD = re.compile(
    r"^\W*(a |i |and |so )?(czy (wy )?(macie|jest|sa|bedzie)|macie|jest|sa|"
    r"do you (have|sell|do|serve)|have you got|is there|are there)\b[^?]*\?\W*$"
)

ASKS_TOTAL = re.compile(
    r"\b(ile|how much|what|jaka|jaki)\b.*"
    r"\b(razem|w sumie|sumie|suma|lacznie|ogolem|calosc\w*|za wszystko|total|altogether|"
    r"all together|in all|overall|all in|come to|the damage|do zaplaty|"
    # The total so far ("ile to mi na razie wychodzi?", "how much am I at so far?").
    r"na razie|do tej pory|jak dotad|wychodzi|wyjdzie|so far|up to now|by now)\b"
)

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


def asks_when_it_arrives(text: str) -> bool:
    """The folded text asks when the order (or its driver) comes (see `_ASKS_WHEN`)."""
    return bool(_ASKS_WHEN.search(text) and _COMES.search(text))


# Whether the order can be fetched yet, is ready or is on its way ("i jak, mogę już po nią
# jechać?", "is it ready yet?", "czy już wyjechała?"): asked, the order's status and time;
# folded. ("gotowe" said alone is done ordering: only asked does it mean this.)
_READY_YET = re.compile(
    r"\b(gotow[aey]|ready|wyjechal\w*|w drodze|on (its|the) way|left (the shop|yet)|"
    r"(moge|mozna|mozemy|moglbym|moglabym) (juz )?(\w+ )?po (nia|nie|niego|pizz\w*|zamowieni\w*)|"
    r"(can|could) (i|we) (come|pick it up|collect it|get it|grab it|come and get it)\b.*\b(now|yet)"
    r")\b"
)


def asks_if_ready(text: str) -> bool:
    """The text asks, with its question mark, whether the order is ready or can be fetched
    yet (see `_READY_YET`)."""
    return "?" in text and bool(_READY_YET.search(fold(text)))


# Two readings of one question ("kiedy będzie?", "when will it be?"): to a customer waiting
# for an order it asks for that order, to anyone else how long orders take. The delivery-time
# answer tells which (`bot.actions.support`), so the two together are one understanding.
_WHEN_IT_COMES = frozenset({"order_status", "delivery_time"})


def asks_when_it_comes(turn: Turn) -> bool:
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


def asked_about_product(turn: Turn) -> str | None:
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


def cart_step_under_a_name(turn: Turn) -> str | None:
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


def asked_at_summary(turn: Turn) -> bool:
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


# Being open or taking orders, asked of a day ("a w sobotę też można u was coś zamówić?");
# folded.
OPEN_ON = re.compile(
    r"\b(otwar\w*|czynn\w*|pracuj\w*|dziala\w*|jestescie|zamawia\w*|zamowi\w*|mozna|"
    r"open|order\w*|working|work)\b"
)


def top_guess(turn: Turn) -> str | None:
    """The NLU's best reading other than out of scope, however unsure."""
    ranking = [r for r in turn.parse.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    return str(ranking[0]["name"]) if ranking else None
