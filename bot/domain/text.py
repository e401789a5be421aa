"""Text a client sent that cannot be stored as it is."""

from __future__ import annotations

import re

# A surrogate code point on its own: broken UTF-16 (a string cut inside an emoji, a JSON
# "\ud83d" escape). Pairs never reach here: JSON decoders join them into one code point.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def replace_lone_surrogates(text: str) -> tuple[str, int]:
    """The text with each lone surrogate replaced by U+FFFD (the character every decoder
    uses for one it cannot read), and how many were replaced: nothing else is lost."""
    return _LONE_SURROGATE.subn(REPLACEMENT, text)
