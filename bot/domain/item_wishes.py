"""What a customer wants done to one item, said with it: "bez cebuli i oliwek", "extra cheese",
"dobrze wypieczona", "cut into 8". Kept for the kitchen with the item, never dropped.

A wish that adds something ("z podwójnym serem", "extra cheese") may cost more: the menu
prices no toppings, so the staff confirm the price (`Wish.priced`). Words after "bez"/"without"
that name a product ("bez coli"), a way ("bez dostawy"), a note ("bez uwag"), a kind of
drink ("bez cukru") or a whole category ("bez sosu") are no wish: other rules read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from intents.text import fold

# Removing: "bez X", "without X", "hold the X"; English "no X" only for a topping (below),
# since "no" alone answers questions ("no thanks", "no wait").
_REMOVE = frozenset({"bez", "without", "hold"})
# Adding more: costs more, confirmed by the staff.
_ADD = re.compile(r"^(?:extra|double|podwojn\w*|dodatkow\w*|wiecej)$")
# Said as a whole: baking and cutting; folded.
_PHRASES = re.compile(
    r"\b(?:(?:dobrze|mocno|bardziej|bardzo|lekko|slabo)\s+(?:wypieczon\w*|przypieczon\w*)"
    r"|chrupiac\w*|well[\s-]done|well[\s-]baked|extra[\s-]crispy|crispy"
    r"|(?:nie\s*)?pokrojon\w*(?:\s+na\s+\d+(?:\s+kawalk\w*)?)?"
    r"|(?:cut|sliced)(?:\s+(?:into|in))?\s+\d+(?:\s+(?:slices|pieces))?"
    r"|(?:not|don'?t)\s+(?:cut|slice)\b|uncut|unsliced)"
)
_TOPPINGS_EN = re.compile(
    r"^(?:onions?|olives?|basil|cheese|mushrooms?|ham|pineapple|jalapenos?|chill?i(?:es)?|"
    r"garlic|peppers?|salami|tomato(?:es)?|oregano|rocket|rucola|arugula|corn|bacon|"
    r"anchov(?:y|ies)|capers|spinach|meat|courgettes?|zucchini|mozzarella|parmesan)$"
)
# Words after "bez"/"without" that other rules read: ways, notes, drinks' kinds, categories.
_NOT_A_WISH = re.compile(
    r"^(?:dostaw\w*|dowoz\w*|uwag\w*|komentarz\w*|notes?|delivery|deliver\w*|cukru|sugar|"
    r"gazu|gazowan\w*|bubbles|sos\w*|sauces?|napoj\w*|drinks?|picia|niczego|nic|nothing|"
    r"tego|tej|to|it|that|them|this|jedne\w*|one|a|an|the)$"
)
_CONJUNCTIONS = frozenset({"i", "oraz", "ani", "albo", "lub", "and", "or", "nor"})
# Words that end a wish: sizes, ways, politeness, another wish's start; folded.
_STOP = frozenset(
    """
    prosze poprosze please pls plz thanks thank dzieki dziekuje na z ze do dla w we for to
    with a an the one jedna jeden jedno mala mała srednia duza small medium large regular
    wynos dostawa dostawe dowozem odbior pickup delivery takeaway i and oraz or albo lub ani
    nor dobrze mocno well extra double crispy pokrojona pokrojone cut sliced bo because ale
    but tez too also jeszcze plus oh ok okay razem total on it them this that
    """.split()
)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# Each thing of a list is a word or two ("czerwonej cebuli"); a list at most this long.
_WORDS_PER_THING = 2
_MAX_WORDS = 8


@dataclass(frozen=True)
class Wish:
    """One wish as the customer said it, where they said it, and whether it may cost more."""

    text: str
    start: int
    end: int
    priced: bool = False


def _ends_a_wish(word: str) -> bool:
    """A word that ends a wish's things: a stop word, or the start of another wish."""
    return word in _STOP or word in _REMOVE or word == "no" or bool(_ADD.match(word))


def _things(
    words: list[tuple[int, int, str]], at: int, taken: list[tuple[int, int]], english_no: bool
) -> int:
    """How many words from `at` name the things of a wish ("cebuli i oliwek"); 0 for none."""
    count, end, in_thing = 0, at, 0
    while end < len(words) and count < _MAX_WORDS:
        start, stop, word = words[end]
        if any(s < stop and start < e for s, e in taken) or word.isdigit():
            break
        if word in _CONJUNCTIONS and count:
            if end + 1 >= len(words) or _ends_a_wish(words[end + 1][2]):
                break
            nxt = words[end + 1]
            if any(s < nxt[1] and nxt[0] < e for s, e in taken) or nxt[2].isdigit():
                break
            end, in_thing = end + 1, 0
            continue
        first = not count
        if (
            _ends_a_wish(word)
            or (first and _NOT_A_WISH.match(word))
            or in_thing >= _WORDS_PER_THING
        ):
            break
        if first and english_no and not _TOPPINGS_EN.match(word):
            break
        count, end, in_thing = count + 1, end + 1, in_thing + 1
    # "bez cebuli i" cut at the end: the dangling conjunction is no part of it.
    while end > at and words[end - 1][2] in _CONJUNCTIONS:
        end -= 1
    return end - at if count else 0


def _misspelt_without(word: str) -> bool:
    """ "witout", "wihtout", "withuot": "without" a letter off (swapped letters count once)."""
    return len(word) >= 6 and OSA.distance(word, "without") == 1


# Which of several items the wish is for ("jedna bez bazylii", "one of them without onions"):
# the words before the wish, folded, kept with it so the kitchen does it to one.
_ONE = frozenset({"jedna", "jeden", "jedno", "jedną", "one", "druga", "drugi", "other"})


def _which_one(words: list[tuple[int, int, str]], at: int) -> int:
    """How many words before `at` say which one the wish is for; 0 for none."""
    before = [w[2] for w in words[max(0, at - 3) : at]]
    if before[-3:] in (["one", "of", "them"], ["jedna", "z", "nich"], ["jeden", "z", "nich"]):
        return 3
    if before[-2:] in (["the", "other"], ["ta", "druga"]):
        return 2
    return 1 if before[-1:] and before[-1] in _ONE else 0


def wishes_in(text: str, taken: Iterable[tuple[int, int]] = ()) -> list[Wish]:
    """The wishes said in `text`, in order; `taken` are spans of products, sizes and the like
    (a product after "bez" is a product declined, not a wish)."""
    folded = fold(text)
    spans = list(taken)
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(folded)]
    found: list[Wish] = []
    for m in _PHRASES.finditer(folded):
        if not any(s < m.end() and m.start() < e for s, e in spans):
            found.append(Wish(text[m.start() : m.end()], m.start(), m.end()))
    i = 0
    while i < len(words):
        start, _, word = words[i]
        inside = any(w.start <= start < w.end for w in found)
        skip = 2 if word == "hold" and i + 1 < len(words) and words[i + 1][2] == "the" else 1
        removing = (word in _REMOVE or _misspelt_without(word)) and (word != "hold" or skip == 2)
        adding = bool(_ADD.match(word))
        english_no = word == "no"
        if inside or not (removing or adding or english_no):
            i += 1
            continue
        n = _things(words, i + skip, spans, english_no)
        if not n:
            i += 1
            continue
        first = i
        if adding and i and words[i - 1][2] in ("z", "ze", "with"):
            first = i - 1  # "z podwójnym serem", "with extra cheese"
        first -= _which_one(words, first)  # "2 margherity, jedna bez bazylii": that one
        end = words[i + skip + n - 1][1]
        begin = words[first][0]
        found.append(Wish(text[begin:end], begin, end, priced=adding))
        spans.append((begin, end))
        i += skip + n
    return sorted(found, key=lambda w: w.start)


# What the kitchen reads after a wish that may cost more: the customer was told the staff
# confirm it, so the staff must (the menu prices no toppings).
_CHARGE_TO_CONFIRM = {"pl": "dopłata do potwierdzenia", "en": "extra charge to confirm"}


def for_the_kitchen(wishes: str, lang: str) -> str:
    """An item's wishes as the order's note shows them: flagged when they may cost more
    ("z podwójnym serem (dopłata do potwierdzenia)")."""
    if not any(w.priced for w in wishes_in(wishes)):
        return wishes
    return f"{wishes} ({_CHARGE_TO_CONFIRM.get(lang, _CHARGE_TO_CONFIRM['en'])})"


def said_back(wishes: Iterable[str]) -> str:
    """The wishes of one item as the cart, the summary and the kitchen read them."""
    return ", ".join(w for w in wishes if w)
