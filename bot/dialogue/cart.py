"""Reading several items out of one sentence: which quantity and size go with which product;
and which numbers typed beside words are quantities at all."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.domain.item_wishes import Wish, said_back, wishes_in
from intents.addresses import address_spans, street_spans
from intents.doors import door_number_spans
from intents.entities import people_number_spans
from intents.text import fold

# A number standing on its own ("nie 3, tylko 2", "not 3, 2", "make it 4."): not a part of
# a house/flat number, a postcode, a date or an order number ("Długa 12/3", "31-000",
# "12.05", "PZ-12345").
_TYPED_NUMBER = re.compile(r"(?<![\w/.,-])\d{1,4}(?![\w/-]|[.,]\d)")


def _typed_number_matches(text: str) -> list[re.Match[str]]:
    places = no_quantities(text)
    return [
        m
        for m in _TYPED_NUMBER.finditer(text)
        if not any(s <= m.start() and m.end() <= e for s, e in places)
    ]


def typed_numbers(text: str) -> list[int]:
    """The numbers typed in `text` that may be quantities, in order (not a door's, a flat's
    or a floor's: "domofon 3", nor a street's: "ul. Tomasza 20")."""
    return [int(m.group()) for m in _typed_number_matches(text)]


# What comes right before a number said not to be meant: "2 nie 3", "not 3, 2", "zamiast 4"
# (folded).
_NOT_MEANT_BEFORE = re.compile(r"\b(nie|not|no|zamiast|instead of|rather than)\s*$")


def meant_numbers(text: str) -> list[int]:
    """The typed numbers a correction means, in order: one said not to be meant ("miały być
    2 nie 3", "not 3, 2") is left out while another number remains."""
    matches = _typed_number_matches(text)
    folded = fold(text)
    meant = [m for m in matches if not _NOT_MEANT_BEFORE.search(folded[: m.start()])]
    return [int(m.group()) for m in (meant or matches)]


def no_quantities(text: str) -> list[tuple[int, int]]:
    """Where numbers are never quantities: a door's, a flat's or a floor's ("domofon 3"),
    a street's ("ul. Tomasza 20"), the people an order is for ("na 4 osoby")."""
    return door_number_spans(text) + street_spans(text) + people_number_spans(text)


@dataclass
class ItemRequest:
    """One product the customer named, with the quantity and size that go with it."""

    product: str
    quantity: int | None = None
    size: str | None = None
    start: int = 0
    note: str | None = None  # what the customer wants done to it ("bez cebuli")


def wishes_of_items(text: str, entities: list[dict[str, Any]]) -> list[Wish]:
    """The wishes said with the items of `text` ("duża margherita bez bazylii"): never in a
    product's or a size's words ("bez coli" declines a cola)."""
    taken = [
        (int(e.get("start", 0)), int(e.get("end", 0)))
        for e in entities
        if e.get("entity") in ("product", "size", "off_menu")
    ]
    return wishes_in(text, taken) if not text.startswith("/") else []


def without_wished_numbers(
    entities: list[dict[str, Any]], wishes: list[Wish]
) -> list[dict[str, Any]]:
    """The entities but the numbers of a wish ("pokrojona na 8" is no 8 pizzas)."""
    return [
        e
        for e in entities
        if e.get("entity") != "quantity"
        or not any(w.start <= int(e.get("start", 0)) < w.end for w in wishes)
    ]


def give_wishes(items: list[ItemRequest], wishes: list[Wish]) -> None:
    """Each wish to the item it was said after (before the first: to the first one)."""
    for wish in wishes:
        before = [i for i in items if i.start <= wish.start]
        item = before[-1] if before else items[0] if items else None
        if item is not None:
            item.note = said_back([item.note or "", wish.text])[:300]


def pair_items(entities: list[dict[str, Any]], sized: set[str]) -> list[ItemRequest]:
    """Pair each quantity and size with the nearest product, preferring the following one.

    "2 duże pepperoni i 1 małą margheritę" → (pepperoni, 2, large), (margherita, 1, small).
    A size only goes to a product that comes in sizes; nothing crosses another product.
    Two sizes said before one product name it twice ("one small and one large margherita",
    "jedna mała i jedna duża margherita"): an item for each, each with its own number.
    """
    products = sorted(
        (e for e in entities if e.get("entity") == "product"), key=lambda e: e.get("start", 0)
    )
    items = [ItemRequest(str(p["value"]), start=int(p.get("start", 0))) for p in products]
    if not items:
        return []
    spans = [(int(p.get("start", 0)), int(p.get("end", 0))) for p in products]
    modifiers = sorted(
        (e for e in entities if e.get("entity") in ("quantity", "size")),
        key=lambda e: e.get("start", 0),
    )
    unplaced: dict[str, Any] | None = None  # a number that found no item (yet)
    headings = [int(e.get("start", 0)) for e in entities if e.get("entity") == "category"]
    heading_size: tuple[int, str] | None = None  # "3 large pizzas: …": (where, which size)
    for mod in modifiers:
        attr = str(mod["entity"])
        start, end = int(mod.get("start", 0)), int(mod.get("end", 0))
        if (at := _heading_after(end, headings, spans)) is not None:
            # Said of a category before its items ("2 duże pizze, jedna pepperoni i jedna
            # hawajska", "3 large pizzas: 2 pepperoni and 1 veggie"): how many in all (no
            # item's number), and the size of the items that follow with none of their own.
            if attr == "size":
                heading_size = (at, str(mod["value"]))
            continue

        def fits(i: int, attr: str = attr) -> bool:
            if getattr(items[i], attr) is not None:
                return False
            return attr != "size" or items[i].product in sized

        following = [i for i, (s, _) in enumerate(spans) if s >= end]
        preceding = [i for i, (_, e) in enumerate(spans) if e <= start][::-1]
        # Only the nearest product on each side: a modifier never jumps over a product.
        candidates = [following[0]] if following else []
        candidates += [preceding[0]] if preceding else []
        # In a list ("capricciosa średnia i wegetariańska duża") the product of the
        # modifier's own item comes first, whichever side of it the size was written.
        group = mod.get("group")
        if group is not None:
            candidates.sort(key=lambda i: products[i].get("group") != group)
        chosen = next((i for i in candidates if fits(i)), None)
        if chosen is None and len(items) == 1 and all(s == 0 for s, _ in spans):
            chosen = 0  # button payloads carry no offsets
        if chosen is None and attr == "size" and following:
            chosen = _named_again(items, following[0], mod, unplaced)
        if chosen is not None:
            value = mod["value"]
            if attr == "quantity":
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    continue
            setattr(items[chosen], attr, value)
        unplaced = mod if chosen is None and attr == "quantity" else None
    if heading_size is not None:
        for item in items:
            if item.start > heading_size[0] and item.size is None and item.product in sized:
                item.size = heading_size[1]
    return items


def _heading_after(end: int, headings: list[int], spans: list[tuple[int, int]]) -> int | None:
    """Where the category named right after a modifier is, before any product ("2 duże
    pizze"), if one is."""
    following = [s for s, _ in spans if s >= end]
    at = min((h for h in headings if h >= end), default=None)
    if at is None or (following and following[0] < at):
        return None
    return at


def _named_again(
    items: list[ItemRequest], index: int, size: dict[str, Any], unplaced: dict[str, Any] | None
) -> int | None:
    """A second size for the product that follows it ("one small and one large margherita"):
    a new item of that product in this size, with the number said right before the size
    that no item took. Only for a product already given another size (a size after the
    product, "change the small margherita to large", corrects it instead)."""
    item = items[index]
    if item.size is None or item.size == size["value"]:
        return None
    items.append(ItemRequest(item.product, start=int(size.get("start", 0))))
    if unplaced is not None:
        try:
            items[-1].quantity = int(unplaced["value"])
        except (TypeError, ValueError):
            pass
    return len(items) - 1


# Between the things of a list: "X i Y", "X, Y", "X and Y", "X plus Y"; in Polish also
# "X a do tego Y" — in English "a" is the article ("add a coke"), never between two things.
_LIST_SEPARATOR = {
    "pl": re.compile(r",|;|&|\+|\b(?:i|oraz|and|plus|a)\b", re.IGNORECASE),
    "en": re.compile(r",|;|&|\+|\b(?:and|plus)\b", re.IGNORECASE),
}
# Words around items that name nothing ("poproszę … i jeszcze …, please"), the ways an order
# is fulfilled, times, greetings ("Dzień dobry, …", "Good evening, …") and thanks; folded. A
# part of a list left with other words reads as an item the customer asked for.
NOT_AN_ITEM = frozenset(
    """
    poprosze prosze prosimy chce chcialbym chcialabym chcemy dodaj dodac dorzuc daj dajcie
    wezme zamawiam zamowie bede mi nam dla do na z ze w we o od po za bez jeszcze tez takze
    rowniez to ta ten te tej tego jak jakis jakas jakies jeden jedna jedno jednak tylko juz
    teraz szybko zaraz dzis dzisiaj jutro wieczorem pozniej potem wynos dostawa dostawe
    dostawy dowozem dowoz dostarczyc odbior odbiore osobiscie osobisty osobistym miejscu
    lokalu gotowka gotowke gotowki karta karte karty blik blikiem place zaplace placimy pay
    paying dziekuje dzieki dziekuwa pozdrawiam hej czesc siema witam ok okej dobra super
    dzien dobry wieczor witaj witajcie hejka hejo siemka siemano siemanko elo morning
    evening afternoon there everyone
    wszystko tyle koniec razem sumie duzo malo bardzo ciepla cieple goraca gorace zimna zimne
    please pls plz thanks thank you cheers hi hello hey the a an some one my me us for to go
    with without also too as well too more another extra and then now soon today tonight
    later quickly asap delivery deliver delivered pickup pick up collect collection takeaway
    takeout away here cash card all that this it that's it's i i'd id want would like get
    have can could may will just only yes no ok okay great good nice hot cold large big
    add put throw toss grab give gimme need love order bring include take i'll biore bierzemy
    small medium regular cool awesome perfect lovely fine alright sounds spoko git fajnie
    swietnie idealnie
    """.split()
)
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# Asking for something unnamed ("coś do picia", "something sweet"): no item missing from the
# menu; folded.
_SOMETHING = frozenset("cos czegos cokolwiek something anything whatever".split())
# A thing not on the menu is a word or two ("pepsi", "ice tea"); more is a sentence.
_MAX_ITEM_WORDS = 2


def unlisted_items(
    text: str, entities: list[dict[str, Any]], known: set[str], lang: str
) -> list[str]:
    """The parts of a list of items that name nothing on the menu: "duża margherita i pepsi"
    → ["pepsi"]. A part holding an entity, a number, a question or a word of the menu
    (`known`, folded: names, ingredients, sizes, categories) is no such thing, nor words that
    only surround an order ("i poproszę", "na wynos", "please"); `lang` is the language the
    list is written in."""
    if text.startswith("/") or "?" in text:
        return []
    # An address ("ul. Tomasza 20, Kraków") is no item either; a thing known to be off the
    # menu ("pepsi") is one.
    spans = [
        (int(e.get("start", 0)), int(e.get("end", 0)))
        for e in entities
        if e.get("entity") != "off_menu"
    ]
    off_menu = [
        (int(e.get("start", 0)), int(e.get("end", 0)))
        for e in entities
        if e.get("entity") == "off_menu"
    ]
    spans += address_spans(text)
    folded = text.lower() if text.isascii() else fold(text)
    cuts = [0]
    for m in _LIST_SEPARATOR.get(lang, _LIST_SEPARATOR["pl"]).finditer(folded):
        cuts += [m.start(), m.end()]
    cuts.append(len(text))
    found = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=True):
        if any(s < end and start < e for s, e in spans) or re.search(r"\d", text[start:end]):
            continue
        named = [text[s:e] for s, e in off_menu if start <= s < end]
        if named:  # "sok jabłkowy": menu words, of a thing the menu lacks
            found += named
            continue
        words = [(m.start(), m.end()) for m in WORD.finditer(folded, start, end)]
        kept = [(s, e) for s, e in words if folded[s:e] not in NOT_AN_ITEM]
        if any(folded[s:e] in _SOMETHING for s, e in kept):
            continue
        if not kept or len(kept) > _MAX_ITEM_WORDS:
            continue
        if any(len(folded[s:e]) < 3 or _known(folded[s:e], known) for s, e in kept):
            continue
        found.append(text[kept[0][0] : kept[-1][1]])
    return found


def _known(word: str, known: set[str]) -> bool:
    """A word of the menu, inflected or not ("pieczarkami" for "pieczarki")."""
    stem = word[:5]
    return any(k.startswith(stem) or word.startswith(k[:5]) for k in known if len(k) >= 3) or (
        word in known
    )
