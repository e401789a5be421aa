"""A message that opens with a greeting, a yes or a no and goes on: read by what follows.

"cześć, duża margherita" is an order, "nope, that's all" finishes the order, "hi there,
where's my pizza" asks about the order: the classifier, seeing the opening word, may read
the whole as just the greeting or the no. When it does, what follows the opening is read on
its own, and if that says something clearly, it is what the message means. The opening is
not listed word by word: whatever comes before the first comma, or the first word or two,
is tried, so greetings and yeses nobody wrote down still work.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

# Intents that are only the opening of a message that goes on.
OPENINGS = frozenset({"greet", "affirm", "deny"})
# A yes or a no is an answer to a flow's question: there it stays what it is.
ANSWERS = frozenset({"affirm", "deny"})
# What the rest must clearly be to stand for the whole message.
REST_CONFIDENCE = 0.8
NOT_MEANINGS = frozenset({"greet", "affirm", "deny", "thanks", "goodbye", "oos", "nlu_fallback"})
# The opening ends at a comma, a dash or a sentence's end; else it is the first word or two.
_AFTER_HEAD = re.compile(r"\s*(?:[,;:!?.…]+|\s[-–—])\s*")
_WORD = re.compile(r"\S+\s+")
_SAYS_SOMETHING = re.compile(r"[^\W_]{2}|\d")

Parse = dict[str, Any]
Reader = Callable[[str], Awaitable[Parse]]


def rests(text: str) -> list[int]:
    """Where what follows a possible opening starts, nearest first (at most three tries)."""
    starts: list[int] = []
    head = _AFTER_HEAD.search(text)
    if head and head.start() > 0:
        starts.append(head.end())
    words = list(_WORD.finditer(text))
    starts += [w.end() for w in words[:2] if w.end() not in starts]
    return [s for s in sorted(starts) if _SAYS_SOMETHING.search(text[s:])][:3]


async def read_past_opening(parse: Parse, read: Reader, in_flow: bool) -> Parse:
    """The parse of what follows the opening, when the whole was read as the opening alone
    and the rest clearly says something; otherwise `parse` unchanged. Entity offsets are
    kept in the whole text's terms."""
    intent = str((parse.get("intent") or {}).get("name") or "")
    if intent not in OPENINGS or (in_flow and intent in ANSWERS):
        return parse
    text = str(parse.get("text") or "")
    for start in rests(text):
        rest = await read(text[start:])
        name = str((rest.get("intent") or {}).get("name") or "")
        sure = float((rest.get("intent") or {}).get("confidence") or 0.0) >= REST_CONFIDENCE
        products = any(e.get("entity") == "product" for e in rest.get("entities", []))
        if name in NOT_MEANINGS or not (sure or (products and intent == "greet")):
            continue
        entities = [
            {**e, "start": int(e.get("start", 0)) + start, "end": int(e.get("end", 0)) + start}
            for e in rest.get("entities", [])
        ]
        return {**rest, "text": text, "entities": entities, "lang": parse.get("lang")}
    return parse
