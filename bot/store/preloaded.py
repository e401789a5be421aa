"""What a turn's context query reads besides the context (a plain value of the store)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.models import Cart, Order


@dataclass
class Preloaded:
    """What a turn's context query read besides the context, so that the turn needs no trip
    of its own for it: the customer's cart with its lines (None: they have none yet; one
    made in the turn is kept here), their latest order and latest open order (without their
    lines) as they were when the turn began. Dropped (None on the turn) after a join."""

    customer_id: int
    cart: Cart | None
    latest_order: Order | None
    latest_open_order: Order | None
