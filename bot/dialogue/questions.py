"""Several questions in one message: each read on its own, so each gets its answer.

"Do której jesteście otwarci i ile kosztuje dostawa?", "what are your hours and do you take
cards?": the classifier reads the whole as one of the questions. When a message splits into
clauses at a question mark, or at an "and" / a comma followed by a question's first word, and
every clause is a question the shop answers, the first clause's reading stands for the message
and the others ride along under `also`, to be answered after it, in order.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from intents.text import fold

# Questions the shop answers itself (its facts, the FAQ, the menu).
QUESTIONS = frozenset(
    {
        "faq",
        "opening_hours",
        "delivery_area",
        "delivery_time",
        "payment_methods",
        "prices",
        "product_info",
        "allergens",
    }
)
# How sure the reading of each clause must be to count as that question.
CLAUSE_CONFIDENCE = 0.6
# More is a list, not questions asked in passing (and more parses than a message is worth).
MOST_QUESTIONS = 4
_QUESTION_WORD = (
    r"(?:czy|ile|jak\w*|kiedy|gdzie|do ktorej|o ktorej|od ktorej|co|dlaczego|czemu|ktor\w*"
    r"|do|does|did|is|are|can|could|will|would|how|what|when|where|which|who|why)\b"
)
# Where a question ends and another begins, in the folded text: after a question mark, or at
# "i" / "oraz" / "a" / "and" / "also" / a comma when a question's first word follows.
_AND = r"(?:i|oraz|a|a takze|and|also|plus)"
_BETWEEN = re.compile(
    rf"(?<=\?)\s*(?=\S)|\s*,\s*(?:{_AND}\s+)?(?={_QUESTION_WORD})|\s+{_AND}\s+(?={_QUESTION_WORD})"
)
_SAYS_SOMETHING = re.compile(r"[^\W_]{2}")

Parse = dict[str, Any]
Reader = Callable[[str], Awaitable[Parse]]


def clauses(text: str) -> list[str]:
    """The message cut where one question ends and the next begins (the whole when uncut)."""
    folded = fold(text)
    cuts = [0]
    for m in _BETWEEN.finditer(folded):
        if m.start() > cuts[-1] and m.end() < len(text):
            cuts += [m.start(), m.end()]
    cuts.append(len(text))
    parts = [text[a:b].strip(" ,;") for a, b in zip(cuts[::2], cuts[1::2], strict=True)]
    parts = [p for p in parts if _SAYS_SOMETHING.search(p)]
    if len(parts) > 1 and text.rstrip().endswith("?"):
        # "…otwarci i ile kosztuje dostawa?": the mark at the end asks each of them.
        parts = [p if p.endswith("?") else f"{p}?" for p in parts]
    return parts


# A question that points back at what the one before it named, with no name of its own
# ("…i czy jest ostra?", "…and is it spicy?", "does it have gluten?"); folded.
_POINTS_BACK = re.compile(
    r"^\W*(?:(?:a|i|oraz|and|also|so)\s+)?(?:czy\s+)?"
    r"(?:jest|ma|mozna|(?:is|does|has|can|could)\s+(?:it|that|this|she|he|they)|are they"
    r"|do they)\b"
)


def _pointed_back(readings: list[Parse]) -> list[Parse]:
    """Each clause that points back at the one before it ("ile kosztuje margherita i czy jest
    ostra?", "…and is it vegetarian?") asks about the products that one named: read with them
    (no offsets: the clause does not spell them), as a question about them even when its
    words alone read as none ("is it spicy?")."""
    named: list[dict[str, Any]] = []
    out = []
    for reading in readings:
        entities = list(reading.get("entities") or [])
        products = [e for e in entities if e.get("entity") == "product"]
        if named and _POINTS_BACK.match(fold(str(reading.get("text") or ""))):
            # Its own names are what it asks of them ("…czy jest ostra?": "ostra" may name
            # a pizza, here it is what is asked).
            reading = {**reading, "entities": [*entities, *named], "pointed_back": True}
            if _question(reading) is None:
                ranking = {"name": "product_info", "confidence": 1.0}
                reading = {**reading, "intent": ranking, "intent_ranking": [ranking]}
        elif products:
            named = [{**e, "start": 0, "end": 0} for e in products]
        out.append(reading)
    return out


def _question(parse: Parse) -> str | None:
    """What a clause asks ("opening_hours", "faq:delivery-fee"), or None if no question."""
    intent = parse.get("intent") or {}
    name = str(intent.get("name") or "")
    if name not in QUESTIONS or float(intent.get("confidence") or 0.0) < CLAUSE_CONFIDENCE:
        return None
    faq = parse.get("faq") or {}
    about = ":pointed back" if parse.get("pointed_back") else ""  # another question than
    return f"{name}:{faq.get('id') or ''}{about}"  # the same one about nothing named


async def read_each_question(parse: Parse, read: Reader) -> Parse:
    """The first question's parse with the others under `also`, when the message is several
    questions the shop answers, each about something else; otherwise `parse` unchanged."""
    intent = str((parse.get("intent") or {}).get("name") or "")
    text = str(parse.get("text") or "")
    if intent not in QUESTIONS:
        return parse
    parts = clauses(text)
    if not 2 <= len(parts) <= MOST_QUESTIONS:
        return parse
    readings = _pointed_back([await read(part) for part in parts])
    asked = [_question(r) for r in readings]
    if None in asked or len(set(asked)) < 2:
        return parse
    first, *rest = readings
    seen = {asked[0]}
    also = []
    for reading, question in zip(rest, asked[1:], strict=True):
        if question not in seen:
            seen.add(question)
            also.append({**reading, "lang": parse.get("lang")})
    return {**first, "lang": parse.get("lang"), "also": also}
