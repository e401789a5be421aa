"""Text clean-up shared by the classifier, entities and FAQ: folding, tokens and lemmas."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

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


@lru_cache(maxsize=65536)
def lemma(token: str) -> str:
    """Polish-first lemma of a lower-case token, folded; English when Polish does not know it."""
    import simplemma

    try:
        out = simplemma.lemmatize(token, lang=("pl", "en"))
    except Exception:
        out = token
    return fold(out.lower())


def lemmatized(text: str) -> str:
    """Space-joined folded lemmas, the classifier's word-level view of a message."""
    return " ".join(lemma(t) for t in tokens(text))


def has_letters(text: str) -> bool:
    return any(ch.isalnum() for ch in text)
