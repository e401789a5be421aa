"""What a content version did, said in one place: the English sentence stored with the
version (its `summary`, which API clients read) is made from a code and its values, and read
back into them, so the staff pages say it in their own language (staff-i18n.js, `versions`).

Reading the sentence back rather than storing the code beside it covers every version stored
before the code existed: they were written by these same sentences. A sentence none of them
made (an older wording) has no code, and the pages show it as it is.
"""

from __future__ import annotations

import re
from typing import Any

# code -> the sentence; {values} are ids without spaces unless _VALUE says otherwise.
SENTENCES: dict[str, str] = {
    "seeded": "default content from the YAML files",
    "intent_added": "added intent {name}",
    "intent_saved": "saved intent {name}",
    "intent_renamed": "renamed intent {name} to {new_name}",
    "intent_deleted": "deleted intent {name}",
    "example_added": "added an example to intent {name}",
    "faq_added": "added FAQ {id}",
    "faq_saved": "saved FAQ {id}",
    "faq_deleted": "deleted FAQ {id}",
    "product_added": "added product {id}",
    "product_saved": "saved product {id}",
    "product_deleted": "deleted product {id}",
    "shop_saved": "saved shop details",
    # counts: "12 intent, 3 faq" (the kinds of items the file held, in the store's words)
    "imported": "imported {source}: {counts}",
    "rolled_back": "rolled back to version {version}",
}
_VALUE = {"source": ".+", "counts": r"(?:\d+ [a-z]+(?:, \d+ [a-z]+)*)?", "version": r"\d+"}


def _pattern(sentence: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", sentence)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>{_VALUE.get(part, r'[^ ]+')})"
        for i, part in enumerate(parts)
    )
    return re.compile(regex + r"\Z")


_PATTERNS = {code: _pattern(sentence) for code, sentence in SENTENCES.items()}


def describe(code: str, **params: str) -> str:
    """The sentence stored for a version that did `code` with `params`."""
    return SENTENCES[code].format(**params)


def described(summary: str) -> tuple[str, dict[str, str]] | None:
    """The code and values a stored sentence was made from; None for one they did not make."""
    for code, pattern in _PATTERNS.items():
        if found := pattern.match(summary):
            return code, found.groupdict()
    return None


def item_labels(kind: str, data: dict[str, Any] | None) -> dict[str, str]:
    """What staff call a FAQ entry or a product, per language (its first question, its name),
    from the item as a version stored it; {} for kinds named by their key (intents, settings)."""
    if not data:
        return {}
    if kind == "product":
        names = data.get("names") or {}
        return {lang: str(name) for lang, name in names.items() if name}
    if kind == "faq":
        questions = data.get("questions") or {}
        return {lang: str(asked[0]) for lang, asked in questions.items() if asked}
    return {}
