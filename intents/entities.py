"""Entities, Rasa style: product, quantity, size, category, phone, order_number, code, and
off_menu (a thing of a menu's category often not sold: "sprite" is a drink).

Products and categories are matched on the folded text (no diacritics, lower case) so
that offsets stay those of the original message, with three tolerances: Polish
inflection (shared stem, e.g. "margherity" -> Margherita), lemmas, and typos (rapidfuzz);
right after a size, also a one-word name cut short ("duża capri" -> Capricciosa).
A size word is also found misspelt by one letter ("larg", "medum", "srednai"), unless the
word is a real one listed in `lexicon/not_typos.yaml` ("miłego" is not "małego").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from intents.addresses import street_spans
from intents.doors import door_number_spans
from intents.phones import find_phones
from intents.text import fold, known_word, lemma

Entity = dict[str, Any]

DEFAULT_CATEGORIES: dict[str, list[str]] = {
    "pizza": ["pizza", "pizze", "pizzy", "pizz", "pizzas", "pizzę"],
    "drinks": [
        "napoje", "napój", "napojów", "picie", "picia", "drinks", "drink", "beverages",
        # Something cold is something to drink (a cold pizza is a complaint's words, apart).
        "coś zimnego", "coś chłodnego", "something cold", "anything cold",
    ],
    "sauces": ["sosy", "sos", "sosów", "sauces", "sauce", "dips"],
}  # fmt: skip
# Category words that name every item of the kind ("usuń napoje", "forget the drinks"), as
# against one of them ("usuń sos", "remove the drink"); folded. ("pizze" is left out: typed
# without its diacritic it is one pizza, "pizzę", as often as many.)
CATEGORY_PLURALS = frozenset(
    {
        "napoje",
        "napojow",
        "sosy",
        "sosow",
        "pizz",
        "drinks",
        "beverages",
        "sauces",
        "dips",
        "pizzas",
    }
)

NUMBER_WORDS: dict[str, int] = {
    **dict.fromkeys(["jeden", "jedna", "jedno", "jedną", "jednej", "jednego", "jednym"], 1),
    **dict.fromkeys(["dwa", "dwie", "dwóch", "dwoje", "dwiema", "dwu", "dwóm", "para"], 2),
    **dict.fromkeys(["trzy", "trzech", "trzema", "troje", "trzem"], 3),
    **dict.fromkeys(["cztery", "czterech", "czterema", "czworo"], 4),
    **dict.fromkeys(["pięć", "pięciu", "piec", "pieciu"], 5),
    **dict.fromkeys(["sześć", "sześciu", "szesc", "szesciu"], 6),
    **dict.fromkeys(["siedem", "siedmiu"], 7),
    **dict.fromkeys(["osiem", "ośmiu", "osmiu"], 8),
    **dict.fromkeys(["dziewięć", "dziewięciu", "dziewiec", "dziewieciu"], 9),
    **dict.fromkeys(["dziesięć", "dziesięciu", "dziesiec", "dziesieciu"], 10),
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "dozen": 12, "couple": 2, "pair": 2,
}  # fmt: skip
_NUMBER_FOLDED = {fold(k): v for k, v in NUMBER_WORDS.items()}
# Number words of one language that are everyday words of another: in a Polish message
# "ten" is "this" ("a ten sos?") and "one" is "they", never ten or one of something.
_NOT_NUMBERS_IN: dict[str, frozenset[str]] = {"pl": frozenset({"ten", "one"})}

SIZE_WORDS: dict[str, str] = {
    **dict.fromkeys(
        "mala male malej malych maly malego malymi mała małą małe małej małych mały "
        "malutka small mini".split(),
        "small",
    ),
    **dict.fromkeys(
        "srednia srednie sredniej srednich sredni sredniego średnia średnią średnie "
        "średniej średnich średni medium regular".split(),
        "medium",
    ),
    **dict.fromkeys(
        "duza duze duzej duzych duzy duzego duzymi duża dużą duże dużej dużych duży "
        "wielka wielką wielkie large big huge family rodzinna".split(),
        "large",
    ),
}
_SIZE_FOLDED = {fold(k): v for k, v in SIZE_WORDS.items()}
# A misspelt size: one edit (a letter missing, extra, wrong or two swapped) from a size word
# of 5+ letters, typed with 4+ letters and the same first letter. Shorter size words ("mała",
# "duża") have too many real neighbours ("mama", "dużo") to guess at.
_TYPO_MIN_TYPED, _TYPO_MIN_SIZE_WORD = 4, 5
# A product's name cut short after a size ("duża capri"): at least this many letters typed.
_CLIP_MIN = 4
NOT_TYPOS = Path(__file__).resolve().parent / "lexicon" / "not_typos.yaml"
OFF_MENU = Path(__file__).resolve().parent / "lexicon" / "off_menu.yaml"
SIZE_CM = {"25": "small", "32": "medium", "42": "large"}
_SIZE_LETTERS = {"S": "small", "M": "medium", "L": "large", "XL": "large"}

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_ORDER = re.compile(r"(?<![\w])(?:pz|PZ|Pz)\s?[-#:]?\s?(\d{5})(?!\d)|#\s?(\d{5})(?!\d)")
_ORDER_CONTEXT = re.compile(
    r"(?:zam[oó]wieni[ea]|order|nr|numer|number|no\.?)\s*(?:nr\.?|number|numer|no\.?)?\s*#?\s*(\d{5})(?!\d)",
    re.IGNORECASE,
)
_MIN_PHONE_DIGITS = 7  # fewer digits cannot be a phone number: no need to look
_DIGITS = re.compile(r"(?<![\w,.])(\d{1,2})\s?(x|szt\.?|sztuk[i]?|pcs|razy)?(?![\w,.%:]|\s?cm)")
_TIMES = re.compile(r"(?<![\w])x\s?(\d{1,2})(?!\d)")
_CODE = re.compile(r"(?<![\w\d-])(\d{6})(?![\d])")
_PACK = re.compile(r"\d+(?:[,.]\d+)?\s*(?:l|ml|cl)\b")
# How many people an order is for ("na 4 osoby", "dla pięciu osób", "for 5 people"): never
# how many of an item ("na 6 osób: 3 duże margherity" is three). Folded.
_PEOPLE = re.compile(
    r"\b(?P<n>\d{1,3}|[^\W\d_]+)\s+(?:osob\w*|os\.|ludzi|people|persons|guests|of us)(?!\w)"
)
_CM = re.compile(r"(?<!\d)(25|32|42)\s?(?:cm|centymetr\w*)", re.IGNORECASE)
# Where one item of a list ends and the next begins ("X średnią i Y dużą", "X, 2 Y and Z"):
# entities get a `group` (Rasa's entity groups) so a size or quantity stays with its product.
_ITEM_BREAK = re.compile(
    r"\s*[,;+&]\s*|\s+(?:i|oraz|plus|and|with|a także|a takze|do tego|jeszcze)\s+", re.IGNORECASE
)


@lru_cache(maxsize=1)
def _real_words() -> frozenset[str]:
    raw = yaml.safe_load(NOT_TYPOS.read_text(encoding="utf-8")) or {}
    return frozenset(fold(str(w)) for words in raw.values() for w in words or ())


@lru_cache(maxsize=16384)
def people_number_spans(text: str) -> list[tuple[int, int]]:
    """Where the numbers of people an order is for are ("na 4 osoby", "for 5 people")."""
    return [m.span("n") for m in _PEOPLE.finditer(fold(text))]


def misspelt_size(word: str) -> str | None:
    """The size a folded word misspells by one letter ("lrge" -> "large"), or None when it
    is no size, a size spelt right, a real word, or close to two different sizes."""
    if len(word) < _TYPO_MIN_TYPED or word in _SIZE_FOLDED or word in _real_words():
        return None
    if word in _NUMBER_FOLDED or not word.isalpha():
        return None
    sizes = {
        size
        for form, size in _SIZE_FOLDED.items()
        if len(form) >= _TYPO_MIN_SIZE_WORD
        and form[0] == word[0]
        and abs(len(form) - len(word)) <= 1
        and OSA.distance(word, form, score_cutoff=1) <= 1
    }
    return sizes.pop() if len(sizes) == 1 else None


@lru_cache(maxsize=1)
def _off_menu_words() -> dict[tuple[str, ...], str]:
    """Folded words of each thing often not sold (`lexicon/off_menu.yaml`) → its category."""
    raw = yaml.safe_load(OFF_MENU.read_text(encoding="utf-8")) or {}
    return {
        tuple(_WORD.findall(fold(str(name)))): str(category)
        for category, names in raw.items()
        for name in names or ()
    }


@dataclass(frozen=True)
class _Form:
    canonical: str
    words: tuple[str, ...]  # folded tokens of the surface form
    # (word, letter) where some spelling of the form has a letter with a diacritic
    # ("Wegetariańska": the ń); a customer typing one elsewhere in its stem means another word.
    marked: frozenset[tuple[int, int]] = frozenset()

    def marked_in(self, word: int) -> list[int]:
        return [letter for w, letter in self.marked if w == word]


def name_words(text: str) -> tuple[str, ...]:
    """Folded tokens of a name, without pack sizes ("Cola 0,5 l" -> ("cola",))."""
    return tuple(_WORD.findall(_PACK.sub(" ", fold(text))))


def _marked_letters(text: str) -> frozenset[tuple[int, int]]:
    """(word, letter) of each letter typed with a diacritic in a name's words, as counted by
    `name_words` (pack sizes out)."""
    folded = _PACK.sub(lambda m: " " * len(m.group()), fold(text))
    spans = [m.span() for m in _WORD.finditer(folded)]
    return frozenset(
        (k, c - start)
        for k, (start, end) in enumerate(spans)
        for c in range(start, end)
        if folded[c] != text[c].lower()
    )


# How an inflected word ends, folded: a vowel, or the consonant of an ending ("sosem", "pizzach",
# "napojow", "wodnej", "colas"). Another ending is another word sharing the first letters:
# "cold" is no "cola", "pickup" no "picia", "pick" no "pizza".
_INFLECTED_LAST = frozenset("aeiouy" + "mhwjs")
_VOWELS = frozenset("aeiouy")
# A pet name's k after its vowel: Polish diminutives of a word ending in a consonant end in
# -ik, -ek, -yk ("sosik", "sosek"). A word ending in a vowel makes its diminutive with -ka
# ("colka", read as an inflection) whose -ek form is the plural after a number ("pięć colek"):
# alone, "kolek"/"kołek" is a peg, no cola.
_DIMINUTIVE = re.compile(r"[aeiouy]k$")


# The three-letter endings of Polish inflection ("margherit|ami", "hawajsk|iej",
# "czosnkow|ego", "wo|dzie", "sok|iem"): another tail that long is another word ("kol|egi"
# is no "kol|a").
_LONG_ENDINGS = frozenset("ami ach owi ego emu ymi imi ich ych iej iem ech zie cie".split())


def _ends_inflected(token: str, form: str, counted: bool) -> bool:
    if token[-1] in _INFLECTED_LAST:
        return True
    if _DIMINUTIVE.search(token) is None:
        return False
    return form[-1] not in _VOWELS or (counted and token.endswith("ek"))


def _marked_elsewhere(
    typed: str, marks: Iterable[int], form: str, form_marks: Iterable[int]
) -> bool:
    """A letter typed with a diacritic in the form's stem where no spelling of the form has
    one ("kołek" for "kola", "wódka" for "woda"): another word, whatever the letters folded
    share. Customers leave diacritics out; they do not add them to a name that has none. An
    ending's letters are the inflection's ("colę", "hawajską")."""
    stem = len(form) - (form[-1] in _VOWELS)
    kept = set(form_marks)
    return any(i < stem and i < len(typed) and typed[i] == form[i] and i not in kept for i in marks)


# A name this short, ending in a vowel ("kola", "woda"), shares its first letters with many
# longer words of the language ("kolka", "kolce", "wodka").
_SHORT_NAME = 5


def _another_word(token: str, form: str) -> bool:
    """A word longer than a short name, known to the dictionaries with a lemma of its own
    ("kolka", "kolce" for "kola"; "wodka" for "woda"): another word, not the name inflected
    ("wodzie") or made a pet name ("colka")."""
    return (
        len(form) <= _SHORT_NAME
        and form[-1] in _VOWELS
        and len(token) > len(form)
        and known_word(token)
        and lemma(token) not in (form, lemma(form))
    )


@lru_cache(maxsize=65536)
def _word_score(token: str, form: str, lemmas: bool = True, counted: bool = False) -> float:
    """How well one folded message word matches one folded surface word (0 = not at all);
    `counted`: the word follows a number ("pięć colek")."""
    if token == form:
        return 1.0
    if len(form) < 3 or len(token) < 3:
        return 0.0
    # Polish inflection changes the ending: margherit|a -> margherit|y, col|a -> col|e.
    common = 0
    for a, b in zip(token, form, strict=False):
        if a != b:
            break
        common += 1
    if (
        common >= max(3, len(form) - 2)
        and len(token) - common <= 3
        and common >= len(token) - 3
        and (len(token) - common < 3 or token[common:] in _LONG_ENDINGS)
        and _ends_inflected(token, form, counted)
        and not (lemmas and _another_word(token, form))
    ):
        return 0.95
    if lemmas and len(form) >= 4 and lemma(token) == lemma(form):
        return 0.95
    if len(form) >= 5 and len(token) >= 5 and token[:2] == form[:2]:
        # Typos, also when the ending is inflected: compare without the last letters too.
        score = max(fuzz.ratio(token, form), fuzz.ratio(token[:-1], form[:-1]))
        if len(token) > 6 and len(form) > 6:
            score = max(score, fuzz.ratio(token[:-2], form[:-2]))
        if score >= 84:
            return score / 100 * 0.95
    return 0.0


class EntityExtractor:
    """Finds entities in one message; build once per catalog, call `extract` per message."""

    def __init__(
        self,
        products: Mapping[str, Iterable[str]] | None = None,
        categories: Mapping[str, Iterable[str]] | None = None,
        *,
        lemmas: bool = True,
    ) -> None:
        """`lemmas=False` leaves out the lemmatizer (its dictionaries take seconds to load:
        the keyword NLU starts at once and still reads inflection by shared stems)."""
        self._lemmas = lemmas
        self._products = self._forms(products or {})
        if categories is None:
            categories = DEFAULT_CATEGORIES
        else:
            # The catalog names a category ("Napoje", "Drinks"); a customer also says "do
            # picia", "beverages": the everyday words of a common category id come along.
            categories = {
                cid: [*words, *DEFAULT_CATEGORIES.get(cid, [])] for cid, words in categories.items()
            }
        self._categories = self._forms(categories)
        self._category_ids = frozenset(categories)

    @staticmethod
    def _forms(mapping: Mapping[str, Iterable[str]]) -> dict[str, list[_Form]]:
        forms: dict[tuple[str, tuple[str, ...]], _Form] = {}
        for canonical, surfaces in mapping.items():
            for surface in [canonical, *surfaces]:
                spelt = str(surface).replace("-", " ")
                words = name_words(spelt)
                if words:
                    known = forms.get((canonical, words))
                    marked = _marked_letters(spelt) | (known.marked if known else frozenset())
                    forms[(canonical, words)] = _Form(canonical, words, marked)
        # Indexed by first letter: every kind of match below needs the first letters equal.
        by_initial: dict[str, list[_Form]] = {}
        for form in forms.values():
            by_initial.setdefault(form.words[0][0], []).append(form)
        return by_initial

    def extract(self, text: str, lang: str | None = None) -> list[Entity]:
        """All entities, sorted by position; never raises on odd input. `lang`, the
        message's language when known, keeps its own words from reading as another's numbers."""
        folded = fold(text)
        not_numbers = _NOT_NUMBERS_IN.get(lang or "", frozenset())
        taken: list[tuple[int, int]] = []
        found: list[Entity] = []

        def free(start: int, end: int) -> bool:
            return all(end <= s or start >= e for s, e in taken)

        def add(entity: str, value: Any, start: int, end: int, conf: float = 1.0) -> None:
            taken.append((start, end))
            found.append(
                {"entity": entity, "value": value, "start": start, "end": end,
                 "confidence": round(conf, 3), "text": text[start:end]}
            )  # fmt: skip

        for m in _ORDER.finditer(text):
            add("order_number", f"PZ-{m.group(1) or m.group(2)}", m.start(), m.end())
        for m in _ORDER_CONTEXT.finditer(text):
            if free(m.start(1), m.end(1)):
                add("order_number", f"PZ-{m.group(1)}", m.start(1), m.end(1), 0.9)
        if sum(ch.isdigit() for ch in text) >= _MIN_PHONE_DIGITS:
            for phone in find_phones(text):
                if free(phone.start, phone.end):
                    add("phone", phone.e164, phone.start, phone.end)
        for m in _CODE.finditer(text):
            if free(m.start(), m.end()):
                add("code", m.group(1), m.start(), m.end())
        for m in _CM.finditer(text):
            if free(m.start(), m.end()):
                add("size", SIZE_CM[m.group(1)], m.start(), m.end())
        # "domofon 3", "flat 4": where at the door, never how many; "ul. Tomasza 20": a
        # street, no tomato sauce and no twenty of anything.
        taken += door_number_spans(text)
        taken += people_number_spans(text)  # "na 4 osoby": how many eat, not how many pizzas
        taken += street_spans(text)

        words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(folded)]
        # Where in each word the customer typed a letter with a diacritic ("kołek": [2]).
        plain = text.isascii()
        marks = [
            [] if plain else [c - start for c in range(start, end) if folded[c] != text[c].lower()]
            for start, end, _ in words
        ]
        self._match_names(words, marks, self._products, "product", free, add, self._lemmas)
        self._match_clipped(words, free, add)
        self._match_names(words, marks, self._categories, "category", free, add, self._lemmas)
        self._match_off_menu(words, free, add)
        for start, end, word in words:
            if not free(start, end):
                continue
            if word in _SIZE_FOLDED:
                add("size", _SIZE_FOLDED[word], start, end)
            elif text[start:end] in _SIZE_LETTERS:
                add("size", _SIZE_LETTERS[text[start:end]], start, end, 0.8)
            elif word in _NUMBER_FOLDED and word not in not_numbers:
                add("quantity", _NUMBER_FOLDED[word], start, end)
            elif (typo := misspelt_size(word)) is not None:
                add("size", typo, start, end, 0.85)
        self._match_digits(text, free, add)
        found.sort(key=lambda e: e["start"])
        breaks = [m.start() for m in _ITEM_BREAK.finditer(text)]
        for e in found:
            e.pop("text", None)
            e["group"] = sum(1 for b in breaks if b < e["start"])
        return found

    @staticmethod
    def _match_names(words, marks, forms, entity, free, add, lemmas) -> None:  # type: ignore[no-untyped-def]
        best: list[tuple[float, int, int, str]] = []
        counted = [
            i > 0 and (words[i - 1][2].isdigit() or words[i - 1][2] in _NUMBER_FOLDED)
            for i in range(len(words))
        ]
        for i in range(len(words)):
            for form in forms.get(words[i][2][0], ()):
                n = len(form.words)
                if i + n > len(words):
                    continue
                scores = [
                    _word_score(words[i + k][2], form.words[k], lemmas, counted[i + k])
                    for k in range(n)
                ]
                if min(scores) <= 0:
                    continue
                if any(
                    marks[i + k]
                    and _marked_elsewhere(
                        words[i + k][2], marks[i + k], form.words[k], form.marked_in(k)
                    )
                    for k in range(n)
                ):
                    continue
                score = sum(scores) / n
                best.append(
                    (score + 0.05 * (n - 1), words[i][0], words[i + n - 1][1], form.canonical)
                )
        for score, start, end, canonical in sorted(best, key=lambda b: (-b[0], b[1])):
            if free(start, end):
                add(entity, canonical, start, end, min(score, 1.0))

    def _match_clipped(self, words, free, add) -> None:  # type: ignore[no-untyped-def]
        """A name cut short right after a size ("duża capri", "large quattro"), also in the
        plural ("2 large margs"): the one product whose name starts with it (4+ letters; of a
        one-word name, 2+ letters short)."""
        for (_, _, before), (start, end, word) in itertools.pairwise(words):
            if not free(start, end) or len(word) < _CLIP_MIN or not word.isalpha():
                continue
            if word in _SIZE_FOLDED or word in _NUMBER_FOLDED:
                continue
            if before not in _SIZE_FOLDED and misspelt_size(before) is None:
                continue
            clips = {word}
            if word.endswith("s") and len(word) > _CLIP_MIN:
                clips.add(word[:-1])
            named = {
                form.canonical
                for form in self._products.get(word[0], ())
                for clip in clips
                if form.words[0].startswith(clip)
                and (len(form.words) > 1 or len(form.words[0]) >= len(clip) + 2)
            }
            if len(named) == 1:
                add("product", named.pop(), start, end, 0.8)

    def _match_off_menu(self, words, free, add) -> None:  # type: ignore[no-untyped-def]
        """Things of a category the menu has that are often not sold ("sprite", "piwo"):
        an `off_menu` entity whose value is the category (the text says which thing)."""
        folded = [w for _, _, w in words]
        # Longest names first: "iced tea" is one thing, not "tea".
        for names, category in sorted(_off_menu_words().items(), key=lambda n: -len(n[0])):
            if category not in self._category_ids:
                continue
            n = len(names)
            for i in range(len(words) - n + 1):
                start, end = words[i][0], words[i + n - 1][1]
                if tuple(folded[i : i + n]) == names and free(start, end):
                    add("off_menu", category, start, end, 0.9)

    @staticmethod
    def _match_digits(text, free, add) -> None:  # type: ignore[no-untyped-def]
        for m in _DIGITS.finditer(text):
            start, end = m.start(1), m.end(1)
            n = int(m.group(1))
            before = text[max(0, start - 3) : start].lower()
            if not free(start, end) or n == 0 or n > 50:
                continue
            if before.endswith(("o ", "@", "/")):  # "o 23" is a time; "3/5" a rating
                continue
            if text[end : end + 1] == "/" or text[end : end + 2] in (" /",):
                continue
            add("quantity", n, start, m.end() if m.group(2) else end)
        for m in _TIMES.finditer(text):
            if free(m.start(), m.end()):
                add("quantity", int(m.group(1)), m.start(), m.end())
