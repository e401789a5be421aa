"""Reading several items out of one sentence: which quantity and size go with which product;
and which numbers typed beside words are quantities at all."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from intents.doors import door_number_spans

# A number standing on its own ("nie 3, tylko 2", "not 3, 2", "make it 4."): not a part of
# a house/flat number, a postcode, a date or an order number ("Długa 12/3", "31-000",
# "12.05", "PZ-12345").
_TYPED_NUMBER = re.compile(r"(?<![\w/.,-])\d{1,4}(?![\w/-]|[.,]\d)")


def typed_numbers(text: str) -> list[int]:
    """The numbers typed in `text` that may be quantities, in order (not a door's, a flat's
    or a floor's: "domofon 3")."""
    doors = door_number_spans(text)
    return [
        int(m.group())
        for m in _TYPED_NUMBER.finditer(text)
        if not any(s <= m.start() and m.end() <= e for s, e in doors)
    ]


@dataclass
class ItemRequest:
    """One product the customer named, with the quantity and size that go with it."""

    product: str
    quantity: int | None = None
    size: str | None = None
    start: int = 0


def pair_items(entities: list[dict[str, Any]], sized: set[str]) -> list[ItemRequest]:
    """Pair each quantity and size with the nearest product, preferring the following one.

    "2 duże pepperoni i 1 małą margheritę" → (pepperoni, 2, large), (margherita, 1, small).
    A size only goes to a product that comes in sizes; nothing crosses another product.
    """
    products = sorted(
        (e for e in entities if e.get("entity") == "product"), key=lambda e: e.get("start", 0)
    )
    items = [ItemRequest(str(p["value"]), start=int(p.get("start", 0))) for p in products]
    if not items:
        return []
    spans = [(int(p.get("start", 0)), int(p.get("end", 0))) for p in products]
    modifiers = sorted(
        (e for e in entities if e.get("entity") in ("quantity", "size")),
        key=lambda e: e.get("start", 0),
    )
    for mod in modifiers:
        attr = str(mod["entity"])
        start, end = int(mod.get("start", 0)), int(mod.get("end", 0))

        def fits(i: int, attr: str = attr) -> bool:
            if getattr(items[i], attr) is not None:
                return False
            return attr != "size" or items[i].product in sized

        following = [i for i, (s, _) in enumerate(spans) if s >= end]
        preceding = [i for i, (_, e) in enumerate(spans) if e <= start][::-1]
        # Only the nearest product on each side: a modifier never jumps over a product.
        candidates = [following[0]] if following else []
        candidates += [preceding[0]] if preceding else []
        # In a list ("capricciosa średnia i wegetariańska duża") the product of the
        # modifier's own item comes first, whichever side of it the size was written.
        group = mod.get("group")
        if group is not None:
            candidates.sort(key=lambda i: products[i].get("group") != group)
        chosen = next((i for i in candidates if fits(i)), None)
        if chosen is None and len(items) == 1 and all(s == 0 for s, _ in spans):
            chosen = 0  # button payloads carry no offsets
        if chosen is not None:
            value = mod["value"]
            if attr == "quantity":
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    continue
            setattr(items[chosen], attr, value)
    return items
