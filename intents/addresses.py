"""Streets in a message ("ul. Tomasza 20", "adres: Długa 5/2", "12 Baker Street"): an
address, whose words and numbers are never products or quantities ("Tomasza" is no tomato
sauce, "20" no twenty of them)."""

from __future__ import annotations

import re

from intents.text import fold

# A street's title, folded ("ul.", "ulica", "al.", "os.", "pl.", "rondo"…), then a name of a
# word or three and the number, maybe with a flat ("ul. Tomasza 20", "al. Jana Pawła II 5/3",
# "os. Centrum A 5 m. 4").
_TITLED = re.compile(
    r"(?<!\w)(?:ul|ulica|ulicy|ulice|al|aleja|alei|aleje|os|osiedle|osiedlu|pl|plac|placu|"
    r"rondo|ronda)\.?\s+"
    r"(?:[^\W\d_]+\.?\s+){1,4}?\d+[^\W\d_]?(?:\s*/\s*\d+)?(?:\s*(?:m|lok)\.?\s*\d+)?(?!\w)"
)
# The address said after its word ("adres: Tomasza 20", "my address is Szewska 8"): the
# street from there to its number. Its first word may be short: "Na Zjeździe 11", "Pod
# Fortem 3", "ul. Długa 5" are streets.
_AFTER_ADDRESS_WORD = re.compile(
    r"\b(?:adres\w*|address)\s*(?:(?::|to\b|is\b|jest\b)\s*)?(?!(?:is|to|jest)\b)"
    r"(?P<street>[^\W\d_]{2,}\.?(?:\s+[^\W\d_]+\.?){0,2}\s+\d+[^\W\d_]?(?:\s*/\s*\d+)?)"
    # The address ends there ("…, Kraków", "… m. 4"): "adres jak ostatnio 2 pizze" orders.
    r"(?=\s*(?:$|[,;/.!]|m\.|lok))"
)
# An English street: the number first, then its name and kind ("12 Baker Street").
_NUMBER_FIRST = re.compile(
    r"(?<!\w)\d+[^\W\d_]?\s+(?:[^\W\d_]+\s+){1,3}"
    r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|square|sq|close|court)\b\.?"
)


def street_spans(text: str) -> list[tuple[int, int]]:
    """Where the streets with their numbers are (offsets of `text`)."""
    folded = fold(text)
    spans = [m.span() for m in _TITLED.finditer(folded)]
    spans += [m.span("street") for m in _AFTER_ADDRESS_WORD.finditer(folded)]
    spans += [m.span() for m in _NUMBER_FIRST.finditer(folded)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):  # "adres: ul. Długa 5" is found twice: one street
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# The place after a street and its number ("…, Kraków", "…, 31-000 Kraków", "…, Nowa Huta").
_PLACE_AFTER = re.compile(r"\s*,\s*(?:\d{2}-\d{3}\s+)?[^\W\d_]{3,}(?:[ -][^\W\d_]{3,}){0,2}")


def address_spans(text: str) -> list[tuple[int, int]]:
    """Where the addresses are: each street with its number, and the place after it."""
    return [(start, with_place_after(text, end)) for start, end in street_spans(text)]


def with_place_after(text: str, end: int) -> int:
    """Where an address whose street and number end at `end` ends: after the place named
    next to them ("…, Kraków", "…, 31-000 Kraków"), if any."""
    place = _PLACE_AFTER.match(fold(text), end)
    return place.end() if place else end
