"""Phone numbers: the one rule lives with the NLU (`intents.phones`, which must not import
`bot`), so the `phone` entity and everything the bot stores agree; re-exported here for
the bot's layers."""

from __future__ import annotations

from intents.phones import (
    DEFAULT_REGION,
    FoundPhone,
    around_phone,
    find_phone,
    find_phones,
    international_phone,
    is_mobile,
    mask_phones,
    normalise_phone,
    readable_phone,
)

__all__ = [
    "DEFAULT_REGION",
    "FoundPhone",
    "around_phone",
    "find_phone",
    "find_phones",
    "international_phone",
    "is_mobile",
    "mask_phones",
    "normalise_phone",
    "readable_phone",
]
