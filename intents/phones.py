"""Phone numbers, parsed once and by `phonenumbers`: what people type, what channels prove.

Every phone number the bot stores or compares is E.164 ("+48600111222"); people are shown
`readable_phone` ("600 111 222"). Numbers typed
without a country code are read as numbers of `DEFAULT_REGION` (the demo shop is Polish).
The NLU's `phone` entity and the bot (`bot.domain.phones` re-exports this module) use this
one rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

DEFAULT_REGION = "PL"
_LETTERS = re.compile(r"[^\W\d_]")


def normalise_phone(raw: str, region: str | None = DEFAULT_REGION) -> str | None:
    """E.164 from what people type ("600 111 222", "0048 600…", "+1 415…"), or None.

    With `region=None` only a number written internationally ("+48…", "0048…") counts:
    that is how a channel reports a proven sender.
    """
    text = raw.strip()
    if not text or _LETTERS.search(text):
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """Whether a number can receive a text: mobile (or, where numbering cannot tell,
    possibly mobile). Landlines, toll-free and premium numbers cannot, or cost money."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(number)
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def readable_phone(e164: str | None, region: str = DEFAULT_REGION) -> str:
    """How a stored number is shown to people: "600 700 812" for a number of the shop's own
    country, "+44 20 7946 0958" for any other; text that is not a number comes back as is."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if not phonenumbers.is_valid_number(number):
        return e164
    own = phonenumbers.region_code_for_number(number) == region
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if own
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def international_phone(raw: str) -> str | None:
    """A number a channel gives with its country code, with or without "+" (Telegram)."""
    text = raw.strip()
    if text and text[0].isdigit() and not text.startswith("00"):
        text = "+" + text
    return normalise_phone(text, region=None)


@dataclass(frozen=True)
class FoundPhone:
    start: int
    end: int
    e164: str


def find_phones(text: str, region: str = DEFAULT_REGION) -> list[FoundPhone]:
    """Valid phone numbers inside free text ("Jan, 600 111 222"), with their offsets."""
    return [
        FoundPhone(
            m.start,
            m.end,
            phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164),
        )
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    ]


def find_phone(text: str) -> FoundPhone | None:
    """The first valid phone number in the text, if any."""
    found = find_phones(text)
    return found[0] if found else None


# A second number offered after the first ("…, or my work one 12 345 67 89", "…, a jakbym nie
# odbierał to do żony 608 999 000"): the words that open it.
_ANOTHER_NUMBER = re.compile(
    r"[\s,;.-]*\b(?:or|albo|lub|ewentualnie|a jak\w*|a gdyby\w*|a w razie|if|otherwise|and if)\b",
    re.I,
)


def around_phone(text: str, found: FoundPhone) -> str:
    """The words said around a phone number, where a name beside it may be: without a second
    number offered after it ("Dan, 602 121 212, or my work one 12 345 67 89" → "Dan, ")."""
    after = text[found.end :]
    if _ANOTHER_NUMBER.match(after) and re.search(r"\d", after):
        after = ""
    return text[: found.start] + after


def mask_phones(text: str, mask: str) -> str:
    """The text with every phone-shaped number replaced by `mask`.

    Deliberately broader than `find_phones`: matched at the POSSIBLE level, so a number
    that is not valid but looks like one is hidden too (privacy, not parsing).
    """
    matcher = phonenumbers.PhoneNumberMatcher(
        text, DEFAULT_REGION, leniency=phonenumbers.Leniency.POSSIBLE
    )
    for match in reversed(list(matcher)):
        text = text[: match.start] + mask + text[match.end :]
    return text
