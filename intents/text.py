"""Text clean-up shared by the classifier, entities and FAQ: folding, tokens and lemmas."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import combinations, product

MAX_TEXT_CHARS = 1000

_FOLD = {"ł": "l", "ø": "o", "đ": "d", "ß": "s", "æ": "a", "œ": "o"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_SPACES = re.compile(r"\s+")
TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def clean(text: str) -> str:
    """Drop control characters, normalise Unicode and spaces, cut to MAX_TEXT_CHARS."""
    text = unicodedata.normalize("NFC", str(text)[: MAX_TEXT_CHARS * 4])
    text = _CONTROL.sub(" ", _ANSI.sub(" ", text))
    return _SPACES.sub(" ", text).strip()[:MAX_TEXT_CHARS]


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    low = ch.lower()
    if len(low) != 1:
        low = ch
    low = _FOLD.get(low, low)
    return unicodedata.normalize("NFD", low)[0] if low.isalpha() else low


def fold(text: str) -> str:
    """Lower-case without diacritics ("Żółć" -> "zolc"); one character out per character in,
    so offsets found in the folded text are offsets in the original."""
    if text.isascii():  # ASCII folds to its lower case (the same as below, many times faster)
        return text.lower()
    return "".join(_fold_char(ch) for ch in text)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


# Each plain letter and the Polish letters it stands for when typed without diacritics.
_MARKED = {"a": "ą", "c": "ć", "e": "ę", "l": "ł", "n": "ń", "o": "ó", "s": "ś", "z": "źż"}
# A Polish word carries few marked letters ("połączyć" has three): looking further would
# mostly find unrelated rare forms, at a cost that grows with every extra letter.
_MOST_MARKS = 3
# Spellings tried per word at most: a real word's are a few dozen to a few hundred, while a
# long string of such letters ("zzzz…") would have tens of thousands — CPU a customer could spend.
_MOST_TRIES = 400


def load_dictionaries() -> None:
    """Load the Polish and English word lists now (seconds; a first `lemma` otherwise does,
    in whatever it runs in — the event loop of a server just started, for one)."""
    import simplemma

    simplemma.is_known("omnibotword", ("pl", "en"))


@lru_cache(maxsize=65536)
def lemma(token: str) -> str:
    """Polish-first lemma of a lower-case token, folded; English when Polish does not know it.
    A word the dictionaries do not know, typed without Polish letters ("polacz", "zamowienie"),
    gets the lemma of its spelling with them ("połącz", "zamówienie")."""
    import simplemma

    try:
        if not simplemma.is_known(token, ("pl", "en")):
            token = with_polish_letters(token) or token
        out = simplemma.lemmatize(token, lang=("pl", "en"))
    except Exception:
        out = token
    return fold(out.lower())


@lru_cache(maxsize=65536)
def known_word(token: str) -> bool:
    """A lower-case token the Polish or English dictionary knows, as typed or with the Polish
    letters left out of it ("kolko" is "kółko")."""
    import simplemma

    try:
        return simplemma.is_known(token, ("pl", "en")) or with_polish_letters(token) is not None
    except Exception:
        return False


@lru_cache(maxsize=65536)
def with_polish_letters(token: str) -> str | None:
    """The Polish dictionary's word that `token` (lower-case, ASCII) is when typed without
    diacritics: the one needing the fewest marked letters (of those, marked nearest the end,
    where Polish endings put them: "prosze" is "proszę", not "prósze"), else None."""
    import simplemma

    if not token.isascii() or not token.isalpha() or len(token) < 3:
        return None
    spots = [i for i, ch in reversed(list(enumerate(token))) if ch in _MARKED]
    tries = 0
    for marks in range(1, min(_MOST_MARKS, len(spots)) + 1):
        for chosen in combinations(spots, marks):
            for letters in product(*(_MARKED[token[i]] for i in chosen)):
                tries += 1
                if tries > _MOST_TRIES:
                    return None
                word = list(token)
                for i, letter in zip(chosen, letters, strict=True):
                    word[i] = letter
                candidate = "".join(word)
                if simplemma.is_known(candidate, "pl"):
                    return candidate
    return None


_ASCII_WORD = re.compile(r"[A-Za-z]{3,}")


def with_polish_words(text: str) -> str:
    """The text with each word the dictionaries do not know, typed without Polish letters,
    spelt with them ("polacz profil" -> "połącz profil"): what an encoder trained on other
    languages should see, since it reads the two spellings as unrelated strings."""
    import simplemma

    def restored(m: re.Match[str]) -> str:
        word = m.group(0)
        low = word.lower()
        if simplemma.is_known(low, ("pl", "en")):
            return word
        marked = with_polish_letters(low)
        if marked is None:
            return word
        return marked.capitalize() if word[0].isupper() else marked

    return _ASCII_WORD.sub(restored, text)


def lemmatized(text: str) -> str:
    """Space-joined folded lemmas, the classifier's word-level view of a message."""
    return " ".join(lemma(t) for t in tokens(text))


def has_letters(text: str) -> bool:
    return any(ch.isalnum() for ch in text)
