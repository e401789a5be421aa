"""A product named with a kind the menu does not have ("lemoniada truskawkowa", "strawberry
lemonade", "sok jabłkowy", "apple juice", "margherita wegańska"): not that product, but a
thing of its category the menu lacks, answered with what there is."""

from __future__ import annotations

import re
from typing import Any

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from bot.dialogue.cart import NOT_AN_ITEM, WORD, wishes_of_items
from intents.entities import name_words
from intents.text import fold
from knowledge.catalog import Catalog, Product

# Languages whose names put the kind after the thing ("Sok pomarańczowy", "Lemoniada
# truskawkowa"); in the others the kind comes first ("Orange juice", "Strawberry lemonade").
_KIND_AFTER = frozenset({"pl"})
# A Polish adjective of kind, folded ("jabłkowy", "gazowana", "wiśniowego"): what a thing is
# made of or how it is made.
_KIND_WORD = re.compile(r"[^\W\d_]{2,}(?:ow|n|sk|ck)(?:y|a|e|i|ie|ego|ej|emu|ym|ych|ymi)$")
# Words beside a product that say which one or how it comes, not what it is made of: it is
# still the product ("normalna margherita", "kolejna cola", "plain lemonade", "fresh juice");
# folded beginnings.
_NO_KIND = (
    "normaln zwykl zwyczajn tradycyjn oryginaln standardow klasyczn schlodzon swiez kolejn "
    "nastepn inn normal plain classic standard original usual traditional fresh chilled "
    "second other same"
).split()
# Between the kind and the thing: a space or a hyphen ("strawberry-lemonade"); a comma or a
# full stop parts them ("Kasia, lemoniada").
_GAP = re.compile(r"[\s-]+")


def other_kinds_named(parse: dict[str, Any], catalog: Catalog, lang: str) -> dict[str, Any]:
    """A product named by one word with another kind beside it ("lemoniada truskawkowa",
    "strawberry lemonade"; "sok jabłkowy", "apple juice" when the menu has orange juice): no
    such product, but a thing of its category the menu lacks (an `off_menu` entity over both
    words, answered with what there is), never the product of the other kind. `lang` is the
    turn's language, for a word that names the product in more than one ("margherita").
    `parse` is unchanged when there is none."""
    text = str(parse.get("text") or "")
    entities = list(parse.get("entities") or [])
    if text.startswith("/"):
        return parse
    words = [(m.start(), m.end()) for m in WORD.finditer(text)]
    taken = [(int(e.get("start", 0)), int(e.get("end", 0))) for e in entities]
    # "margherita pokrojona na 8": a wish for it, not a kind of it.
    taken += [(w.start, w.end) for w in wishes_of_items(text, entities)]
    changed = False
    for n, e in enumerate(entities):
        product = catalog.products.get(str(e.get("value"))) if e["entity"] == "product" else None
        at = next((i for i, w in enumerate(words) if w == (e.get("start"), e.get("end"))), None)
        if product is None or at is None:
            continue  # not a product, or named by more than one word
        span = _other_kind(text, words, at, product, lang, taken)
        if span is not None:
            entities[n] = {**e, "entity": "off_menu", "value": product.category, **span}
            changed = True
    return {**parse, "entities": entities} if changed else parse


def _other_kind(
    text: str,
    words: list[tuple[int, int]],
    at: int,
    product: Product,
    lang: str,
    taken: list[tuple[int, int]],
) -> dict[str, int] | None:
    """Where "<thing> <other kind>" (or "<other kind> <thing>") stands, the thing being the
    word at `at` and naming `product`; else None."""
    typed = fold(text[words[at][0] : words[at][1]])
    own = _own_words(product)
    for after in _orders(product, typed, lang):
        other = at + 1 if after else at - 1
        if not 0 <= other < len(words):
            continue
        start, end = words[other]
        gap = text[words[at][1] : start] if after else text[end : words[at][0]]
        word = fold(text[start:end])
        if (
            not _GAP.fullmatch(gap)
            or any(s < end and start < e for s, e in taken)
            or len(word) < 3
            or word in NOT_AN_ITEM
            or word in ENGLISH_STOP_WORDS
            or word.startswith(tuple(_NO_KIND))
            or any(k.startswith(word[:5]) or word.startswith(k[:5]) for k in own)
        ):
            continue
        if after and not _KIND_WORD.match(word):
            continue
        both = (min(start, words[at][0]), max(end, words[at][1]))
        return {"start": both[0], "end": both[1]}
    return None


def _orders(product: Product, typed: str, lang: str) -> list[bool]:
    """Whether the kind is looked for after the typed word (True) or before it (False): in
    the order of each language whose name of the product has the typed word as its thing
    (the first word of "Sok pomarańczowy", the last of "Orange juice", a one-word name
    itself), or else of a one-word alias it is ("kola", "coke") in the turn's; a word that
    is a name in the turn's language too is read in that language's order alone."""
    orders: dict[str, bool] = {}
    for name_lang, name in product.names.items():
        named = name_words(name)
        after = name_lang in _KIND_AFTER
        if named and _is(typed, named[0] if after else named[-1]):
            orders[name_lang] = after
    if not orders and any(
        len(w := name_words(a)) == 1 and _is(typed, w[0]) for a in product.aliases
    ):
        orders[lang] = lang in _KIND_AFTER
    return [orders[lang]] if lang in orders else sorted(set(orders.values()))


def _is(typed: str, word: str) -> bool:
    """The typed word is `word`, inflected ("lemoniadę", "lemonades")."""
    return typed.startswith(word[: max(3, len(word) - 2)])


def _own_words(product: Product) -> list[str]:
    """The product's own words, folded: what is said of it is no other kind of it
    ("pepperoni pikantna", "spicy pepperoni", "margherita klasyczna")."""
    texts = [*product.names.values(), *product.aliases, *product.descriptions.values()]
    return [w for t in texts for w in WORD.findall(fold(t)) if len(w) >= 3]
