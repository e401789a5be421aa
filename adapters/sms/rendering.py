"""SMS text: GSM-7 vs UCS-2, segment counting, transliteration and shortening.

Pure functions. An SMS segment carries 140 bytes: 160 GSM-7 characters or 70 UCS-2
code units; a multi-part message loses 7 of them per segment to the concatenation
header (153 / 67). One character outside GSM 03.38 (ą, ę, an emoji) turns the whole
message into UCS-2 and more than halves what a segment holds.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet (basic character set).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (an escape, then the character).
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_SINGLE = {GSM7: 160, UCS2: 70}
_MULTI = {GSM7: 153, UCS2: 67}

# Look-alikes with a GSM-7 equivalent that means the same: always replaced, since a
# typographic quote alone would double the cost of a message.
_PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys("„”“«»″", '"'),
        **dict.fromkeys("‚‘’‹›′`", "'"),
        **dict.fromkeys("–—‐‑−•·", "-"),
        **dict.fromkeys("\u00a0\u2009\u202f\u2007\t", " "),
        "…": "...",
    }
)
# Letters whose decomposition does not reach ASCII (ł, đ) or should not (ó is not
# GSM-7 although ò is).
_LETTERS = str.maketrans(
    {
        **dict(zip("ąćęłńóśźżĄĆĘŁŃÓŚŹŻđĐőű", "acelnoszzACELNOSZZdDou", strict=True)),
        "Œ": "OE",
        "œ": "oe",
        "ẞ": "SS",
    }
)
_OPTION_LINE = re.compile(r"^\s*\d{1,2}\.\s")
_SPACES = re.compile(r"[ ]{2,}")
# A prefix shorter than this reads as noise ("Ch…"): drop the text above the options.
_MIN_PREFIX = 12


@dataclass(frozen=True)
class SmsText:
    """A body ready for the Twilio API, with what it will cost."""

    text: str
    encoding: str
    segments: int
    shortened: bool = False


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 basic or extension table."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _units(text: str, encoding: str) -> list[int]:
    """What each character costs: septets for GSM-7, UTF-16 code units for UCS-2."""
    if encoding == GSM7:
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def encoding_of(text: str) -> str:
    return GSM7 if is_gsm7(text) else UCS2


def segments_for(text: str) -> tuple[str, int]:
    """(encoding, number of segments) of a message body; an empty body costs nothing."""
    encoding = encoding_of(text)
    units = _units(text, encoding)
    if not units:
        return encoding, 0
    if sum(units) <= _SINGLE[encoding]:
        return encoding, 1
    # Parts are packed greedily and an escape pair or a surrogate pair is never split
    # across two of them, as handsets and Twilio do.
    count, used, size = 1, 0, _MULTI[encoding]
    for unit in units:
        if used + unit > size:
            count, used = count + 1, 0
        used += unit
    return encoding, count


def smarten(text: str) -> str:
    """Replace typographic punctuation by its GSM-7 equivalent (meaning unchanged)."""
    return text.translate(_PUNCTUATION)


def transliterate(text: str) -> str:
    """Text in GSM-7 only: ą → a, ł → l, é kept, emoji and other symbols dropped."""
    out: list[str] = []
    for char in smarten(text).translate(_LETTERS):
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base and is_gsm7(base):
            out.append(base)
        elif unicodedata.category(char).startswith(("L", "N")):
            out.append("?")  # a letter we cannot spell: keep its place visible
        # emoji, symbols, joiners and variation selectors are dropped
    lines = (_SPACES.sub(" ", line).rstrip() for line in "".join(out).split("\n"))
    return "\n".join(lines).strip()


def render_for_sms(
    text: str, *, transliterate_text: bool = False, max_segments: int = 4
) -> SmsText:
    """The body to send: GSM-7 friendly, and within `max_segments` when it can be.

    Trailing numbered options ("1. Menu") are how the customer answers, so they are
    kept whole; long description lines are cut first, then the text above the options.
    """
    plain = transliterate(text) if transliterate_text else ""
    # An all-emoji reply ("😊") would vanish: better UCS-2 than an empty message.
    text = plain or smarten(text).strip()
    encoding, count = segments_for(text)
    if count <= max_segments:
        return SmsText(text, encoding, count)
    if encoding == UCS2:
        # Too long with Polish letters (70 characters a part): without them (160 a part) the
        # whole reply — an order summary's total, its payment line — fits more often than it
        # is worth cutting. Same number of segments at most, nothing lost but the diacritics.
        plain = transliterate(text)
        if plain:
            text = plain
            encoding, count = segments_for(text)
            if count <= max_segments:
                return SmsText(text, encoding, count)
    body, options = _split_options(text)
    candidate = (
        _cut_long_lines(body, options, max_segments)
        or _cut_body(body, options, max_segments)
        or _cut_option_titles(options, max_segments)
    )
    if not candidate:
        # The options alone do not fit: send them all rather than lose a way to answer.
        return SmsText(text, encoding, count)
    encoding, count = segments_for(candidate)
    return SmsText(candidate, encoding, count, shortened=True)


def _split_options(text: str) -> tuple[list[str], list[str]]:
    lines = text.split("\n")
    start = len(lines)
    while start > 0 and _OPTION_LINE.match(lines[start - 1]):
        start -= 1
    return lines[:start], lines[start:]


def _fits(lines: list[str], max_segments: int) -> bool:
    return segments_for("\n".join(lines).strip())[1] <= max_segments


def _ellipsis(text: str) -> str:
    return "…" if encoding_of(text) == UCS2 else "..."


def _shorten(line: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary, ending with an ellipsis.

    A cut inside a parenthesised description drops the whole description instead.
    """
    if len(line) <= limit:
        return line
    cut = line[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    opening = cut.rfind("(")
    if opening > limit // 3 and ")" not in cut[opening:]:
        return cut[:opening].rstrip(" ,;:-–—")
    cut = cut.rstrip(" ,;:-–—(")
    return cut + _ellipsis(line) if cut else ""


def _cut_long_lines(body: list[str], options: list[str], max_segments: int) -> str | None:
    """In a list (a menu, a cart), cut each item's long description, keep every item."""
    if sum(1 for line in body if line.strip()) < 3:
        return None
    for limit in (120, 90, 70, 50):
        cut = [_shorten(line, limit) for line in body]
        if cut != body and _fits([*cut, *options], max_segments):
            return "\n".join([*cut, *options]).strip()
    return None


def _cut_body(body: list[str], options: list[str], max_segments: int) -> str | None:
    """The longest prefix of the body (cut at a word) that fits with all the options."""
    whole = "\n".join(body).rstrip()

    def build(n: int) -> list[str]:
        head = _shorten(whole, n) if n < len(whole) else whole
        return [head, *options] if head else list(options)

    if not _fits(build(0), max_segments):
        return None
    low, high = 0, len(whole)
    while low < high:  # the cost grows with the prefix, so bisect on its length
        middle = (low + high + 1) // 2
        if _fits(build(middle), max_segments):
            low = middle
        else:
            high = middle - 1
    return "\n".join(build(low if low >= _MIN_PREFIX else 0)).strip()


def _cut_option_titles(options: list[str], max_segments: int) -> str | None:
    """Last resort: only the options, their titles shortened, every number kept."""

    def build(limit: int) -> list[str]:
        return [_shorten(line, limit) or line[:limit] for line in options]

    low, high = 8, max((len(line) for line in options), default=0)
    if not _fits(build(low), max_segments):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(build(middle), max_segments):
            low = middle
        else:
            high = middle - 1
    return "\n".join(build(low)).strip()
