"""Numbers that say where at the door, not how many: "domofon 3", "klatka 2", "flat 4",
"3 piętro", "door code 1234".

A number right after a word of the door, the flat, the floor or the gate (or before a
floor word: "na 3 piętrze", "2nd floor") belongs to that word: it is never a quantity, so
"domofon 3" typed after ordering a pizza does not make it three pizzas.
"""

from __future__ import annotations

import re

from intents.text import fold

# Folded. "kod" alone may be a linking code; with what it opens ("kod do bramy") it is a door's.
_DOOR_WORD = (
    r"domofon\w*|klat\w*(?:\s+schodow\w*)?|mieszkani\w*|mieszk\.?|m\.|lok\.?|lokal\w*|"
    r"pietr\w*|bram\w*|furtk\w*|wejsci\w*|drzwi|kod\w*\s+(?:do|od)\s+\w+|kod\w*\s+domofon\w*|"
    r"apt\.?|apartment|flat|floor|intercom|buzzer|gate(?:\s+code)?|door(?:\s+code)?|"
    r"entrance|staircase|stairwell|suite|unit|(?:door|gate|entry|access)\s+code"
)
_AFTER_WORD = re.compile(
    rf"\b(?:{_DOOR_WORD})\s*(?:nr\.?|no\.?|number|numer|#)?\s*[:#-]?\s*(?P<n>\d+[a-z]?)(?!\w)"
)
_BEFORE_FLOOR = re.compile(
    r"(?<![\w/.,-])(?P<n>\d{1,2})\s*(?:st|nd|rd|th|\.|-?(?:cie|gie|te|ym|im|ie))?\s+(?:pietr\w*|floor)\b"
)
# What may stand beside door notes in a message that is only a door note: small words,
# and door words with a letter instead of a number ("klatka B").
_FILLERS = frozenset(
    "i a oraz na w we z and the on at in a my our please prosze jest to is it s".split()
    # Said around it when it comes as an afterthought ("aa i mieszkanie 14, zapomniałam",
    # "oh and it's flat 7", "flat 12 by the way").
    + "aa aaa ah aha acha o oj ojej och oh oops ups sorry sorki przepraszam zapomnialam "
    "zapomnialem forgot btw by way also tez jeszcze jednak".split()
)
_DOOR_STEMS = (
    "domofon", "klat", "mieszk", "pietr", "bram", "furtk", "wejsc", "drzwi", "lok", "kod",
    "apartment", "apt", "flat", "floor", "intercom", "buzzer", "gate", "door", "entrance",
    "stair", "suite", "unit", "code",
)  # fmt: skip


def door_number_spans(text: str) -> list[tuple[int, int]]:
    """Where the numbers of door, flat, floor and gate words are (offsets of `text`)."""
    folded = fold(text)
    spans = [m.span("n") for m in _AFTER_WORD.finditer(folded)]
    spans += [m.span("n") for m in _BEFORE_FLOOR.finditer(folded)]
    return sorted(set(spans))


# A flat's number (not a floor's, a gate's or a door code's): "mieszkanie 14", "m. 4", "flat 7".
_FLAT = re.compile(
    r"\b(?:mieszkani\w*|mieszk\.?|m\.|lok\.?|lokal\w*|apt\.?|apartment|flat|unit|suite)\s*"
    r"(?:nr\.?|no\.?|number|numer|#)?\s*[:#-]?\s*(?P<n>\d+[a-z]?)(?!\w)"
)


def flat_number(text: str) -> str | None:
    """The flat's number a door note gives ("aa i mieszkanie 14", "flat 7"), if it gives one."""
    found = _FLAT.search(fold(text))
    return found.group("n") if found and door_note(text) else None


def door_note(text: str) -> bool:
    """The message is only a note on finding the door ("domofon 3", "klatka B, mieszkanie
    4", "flat 4, 2nd floor"): no street, nothing else said besides small words."""
    folded = fold(text)
    found = [*_AFTER_WORD.finditer(folded), *_BEFORE_FLOOR.finditer(folded)]
    if not found:
        return False
    rest = folded
    for m in found:
        rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end() :]
    words = re.findall(r"[^\W_]+", rest)
    # A lone letter may name a staircase or a flat ("klatka B, m. 4").
    return all(
        w in _FILLERS or (len(w) == 1 and w.isalpha()) or w.startswith(_DOOR_STEMS) for w in words
    )
