"""Cheap Polish/English detection from characters and common words (no model)."""

from __future__ import annotations

import re

from intents.text import TOKEN, fold, tokens

# What a word with Polish letters weighs (function words weigh 1): a capitalised one after
# the first word is likely a place or a person's name, said in either language.
POLISH_LETTERS_WEIGHT = 3.0
NAME_WEIGHT = 0.5

_PL_LETTERS = set("ąćęłńóśźż")
_PL_WORDS = frozenset(
    """
    i w we z ze na do od po za o u a ale czy jest są się nie tak mi mnie mam masz ma
    chcę chce chcialbym chciałbym chciałabym poproszę poprosze proszę prosze dziękuję dziekuje
    dzięki dzieki jak co gdzie kiedy ile jaki jaka jakie który która które mój moje moja
    jestem jesteście jestescie macie możesz mozesz można mozna dla bez jeszcze już juz też tez
    to ten ta te tego tej być byc będzie bedzie było bylo cześć czesc witam hej siema pa
    dzień dzien dobry wieczór wieczor zamówienie zamowienie zamówić zamowic koszyk pizzę pizze
    dwie dwa trzy jedną jedna duża duza duże duze mała mala średnia srednia dowozicie dostawa
    godziny otwarte zapłacić zaplacic kartą karta gotówką gotowka usuń usun dodaj pokaż pokaz
    anuluj zmień zmien człowiekiem czlowiekiem konsultant reklamacja polsku angielsku ok tak
    sos sosy sok soki woda wody lemoniada lemoniady napój napoj napoje ser sera ostra ostre
    wegańska weganska truskawkowa wiśniowa wisniowa cytrynowa jabłkowy jablkowy poprosić
    prosić dawaj daj weź wez potrzebuję potrzebuje tylko też jakaś jakas
    """.split()
) - {"ok", "a", "to", "i", "pa"}
_EN_WORDS = frozenset(
    """
    the a an is are am was were be to of in on at for with from by my your our i you we it
    this that what which who how when where why can could would will do does did have has
    please thanks thank hello hi hey bye yes no not want like order my cart show me remove
    add cancel change pay card cash delivery deliver open hours much many price prices
    pizza pizzas large small medium two three one some any and or but there here
    sauce sauces juice water lemonade coke drink drinks cheese garlic tomato strawberry
    cherry lemon orange apple vegan vegetarian spicy hot cold without extra get need just
    only also too pls plz thx
    """.split()
) - {"pizza"}
# Letter pairs that are frequent in Polish and rare in English.
_PL_BIGRAMS = ("sz", "cz", "rz", "dz", "ie", "ow", "ych", "ego", "cie", "sie", "wy", "ku")
# What a word on neither list weighs when its letters look Polish ("czosnkowy", "srednie"
# typed without Polish letters) or English ("cheese"): less than a word on a list. The
# menu's Italian names ("pepperoni", "margherita") look like neither.
SHAPE_WEIGHT = 0.5
_PL_SHAPE = re.compile(
    r"sz|cz|rz|dz|ych|wy|(owy|owa|owe|owej|ego|emu|ami|ach|ich|nie|cie|sie|ski|ska|skie|ej|aj)$"
)
_EN_SHAPE = re.compile(r"th|wh|ee|oo|ing|ou|sh|ck|ea|tion")


def detect_language(text: str) -> str | None:
    """ "pl" or "en", or None when the text gives no clue (e.g. "ok", "2", emoji)."""
    if not text or not text.strip():
        return None
    lower = text.lower()
    words = tokens(lower)
    if not words:
        return None
    pl = sum(1.0 for w in words if w in _PL_WORDS or fold(w) in _PL_WORDS)
    en = sum(1.0 for w in words if w in _EN_WORDS and w != "i")
    typed = TOKEN.findall(text)
    for n, word in enumerate(typed):
        if word == "i":
            # Lower-case "i" is the Polish "and" as often as the English "I": the next word
            # tells ("i 1 sos", "i want").
            after = typed[n + 1].lower() if n + 1 < len(typed) else ""
            pl += 1.0 if after.isdigit() or _looks(after) == "pl" else 0.0
            en += 1.0 if _looks(after) == "en" else 0.0
        elif word == "I":
            en += 1.0
        elif (n == 0 or not word[0].isupper()) and not any(c in _PL_LETTERS for c in word.lower()):
            # Not a name within the sentence; Polish letters are weighed below.
            shape = _looks(word.lower(), listed=False)
            pl += SHAPE_WEIGHT if shape == "pl" else 0.0
            en += SHAPE_WEIGHT if shape == "en" else 0.0
        if any(ch in _PL_LETTERS for ch in word.lower()):
            # Polish letters in a word are strong evidence — unless it is a capitalised name
            # within the sentence (a street, a town: "to Długa 5, Kraków"), which English
            # sentences carry too.
            pl += NAME_WEIGHT if n > 0 and word[0].isupper() else POLISH_LETTERS_WEIGHT
    if pl == en:
        letters = [w for w in words if w.isalpha() and len(w) > 2]
        joined = " ".join(letters)
        pl += 0.3 * sum(joined.count(b) for b in _PL_BIGRAMS)
        en += 0.3 * sum(joined.count(b) for b in ("th", "wh", "ee", "oo", "ing", "ou"))
    if pl == en:
        return None
    return "pl" if pl > en else "en"


def _looks(word: str, listed: bool = True) -> str | None:
    """ "pl" or "en": the language a lower-case word is listed in (`listed`) or, on
    neither list, looks like by its letters; None when it does not tell."""
    on_lists = word in _PL_WORDS or fold(word) in _PL_WORDS or word in _EN_WORDS
    if on_lists:
        if not listed:
            return None  # counted already
        return "pl" if word in _PL_WORDS or fold(word) in _PL_WORDS else "en"
    if len(word) < 3 or not word.isalpha():
        return None
    polish = bool(_PL_SHAPE.search(fold(word))) or any(ch in _PL_LETTERS for ch in word)
    english = bool(_EN_SHAPE.search(word))
    if polish == english:
        return None
    return "pl" if polish else "en"
