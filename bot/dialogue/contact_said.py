"""A name and a phone said in a message: alone ("Anna Kowalska, 601 234 567") or with an
order, kept for the checkout and cut from what the order actions read."""

from __future__ import annotations

import re
from typing import Any

from bot.dialogue.rereading import holds_items, reread
from bot.dialogue.turn import Turn
from bot.domain.phones import around_phone, find_phone

# A name introduced on its own ("Jestem Hania", "this is Tom Smith"), folded or not.
_INTRODUCED = re.compile(
    r"^\W*(?:jestem|nazywam si[eę]|mam na imi[eę]|tu|z tej strony|my name is|i'?m|i am|"
    r"this is|it'?s)\s+(?P<name>[^\W\d_]+(?:[ -][^\W\d_]+)?)\W*$",
    re.I,
)

# Between the parts of a message: a comma, a dash, a sentence's end ("Kraków. Anna", not "ul.").
_SEPARATOR = re.compile(r"[,;\n]|\s[-–]\s|(?<=[^\W\d_]{3})[.!]\s")


def contact_in(text: str) -> tuple[str | None, str | None]:
    """The name and phone (E.164) in "Anna Kowalska, 601 234 567" or "imię Jan tel 600…";
    a name only when the words around the phone look like one."""
    found = find_phone(text)
    if found is None:
        return None, None
    name = around_phone(text, found).strip()
    name = " ".join(_NAME_WORDS.sub(" ", name).strip(" ,.;:-–").split())
    if not (2 <= len(name) <= 100 and re.search(r"[^\W\d_]", name)):
        return None, found.e164
    return name, found.e164


def keep_contact_said_with_order(turn: Turn) -> str | None:
    """ "duża margherita na wynos, Anna 601 234 567": an order, and who it is for. The
    contact is kept for the checkout (as if typed alone) and cut from what the order
    actions read, so its digits order nothing; the rest is an order. None if the message
    has no phone; "apart" when the contact was a part of its own, "inside" when the phone
    was among the items."""
    text = turn.text
    found = find_phone(text)
    if found is None:
        return None
    starts = [m.end() for m in _SEPARATOR.finditer(text, 0, found.start)]
    ends = [m.start() for m in _SEPARATOR.finditer(text, found.end)]
    start, end = (starts[-1] if starts else 0), (ends[0] if ends else len(text))
    items = [e for e in turn.parse.get("entities", []) if e.get("entity") in ("product", "size")]
    inside = any(start <= int(e.get("start", 0)) < end for e in items)
    if inside:  # "margherita dla Anny 601 234 567": the phone alone is sure
        start, end = found.start, found.end
    name, phone = contact_in(text[start:end])
    if name is None and not inside and starts:
        # "Jestem Hania, 660 770 880, chcę…": the name introduced in the part before.
        before = starts[-2] if len(starts) > 1 else 0
        introduced = _INTRODUCED.match(text[before : starts[-1]])
        if introduced and not any(before <= int(e.get("start", 0)) < start for e in items):
            name, start = introduced.group("name"), before
    slots = dict(turn.state.slots or {})
    if name and not inside and not re.search(r"\d", name):
        slots["given_name"] = name
    slots["given_phone"] = phone
    turn.state.slots = slots
    rest = text[:start] + text[end:]
    lead = len(rest) - len(rest.lstrip(" ,;."))  # offsets move with what is stripped
    rest = rest.strip(" ,;.")

    def moved(e: dict[str, Any]) -> dict[str, Any]:
        shift = lead + (end - start if int(e.get("start", 0)) >= end else 0)
        return {**e, "start": int(e.get("start", 0)) - shift, "end": int(e.get("end", 0)) - shift}

    entities = [
        moved(e)
        for e in turn.parse.get("entities", [])
        if not start <= int(e.get("start", 0)) < end and e.get("entity") != "phone"
    ]
    turn.parse = {**turn.parse, "text": rest, "entities": entities}
    if turn.intent in ("contact_details", "link_channels", "human_handoff", "nlu_fallback"):
        reread(turn, "add_to_cart")
    return "inside" if inside else "apart"


def contact_completes_order(turn: Turn) -> bool:
    """ "Hania, 604 850 960" typed alone after an order that said its way (and, to deliver,
    where): the checkout has nothing left to ask but how they pay, so the summary comes
    next. The contact is kept for it; False (nothing kept) when anything else is missing."""
    slots = turn.state.slots or {}
    way = slots.get("given_fulfilment")
    if way not in ("delivery", "pickup") or not holds_items(turn):
        return False
    if way == "delivery" and not (
        slots.get("given_address") or slots.get("given_address_as_before")
    ):
        return False
    name, phone = contact_in(turn.text)
    if name is None or phone is None or re.search(r"\d", name):
        return False
    turn.state.slots = {**slots, "given_name": name, "given_phone": phone}
    return True


# What surrounds a name in "my name is John, 600 555 444" or "imię Jan tel 600…".
_NAME_WORDS = re.compile(
    r"\b(my name is|name|i'?m|it'?s|this is|phone( number)?|number|my|is|call me( on)?|"
    r"you can reach me at|nazywam sie|nazywam się|mam na imie|mam na imię|imie|imię|"
    r"jestem|to ja|tel\.?|telefon|numer( to)?|mój|moj|kontakt( do mnie)?|dane)\b[:]?",
    re.IGNORECASE,
)
