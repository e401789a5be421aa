"""Order statuses and the moves between them, once.

new → confirmed → preparing → out_for_delivery | ready_for_pickup → completed, or cancelled.
Customers may cancel while an order is new or confirmed; staff may cancel until it is done.
"""

from __future__ import annotations

from typing import Protocol

STATUSES = (
    "new",
    "confirmed",
    "preparing",
    "out_for_delivery",
    "ready_for_pickup",
    "completed",
    "cancelled",
)
FINAL = frozenset({"completed", "cancelled"})
# Not finished yet: the kitchen still has work, the customer may still ask about it.
OPEN = frozenset(STATUSES) - FINAL
CUSTOMER_CANCELLABLE = frozenset({"new", "confirmed"})


class OrderError(Exception):
    """Something about an order a caller asked for that cannot be done; the message says why."""


class UnknownOrder(OrderError):
    pass


class UnknownStatus(OrderError):
    pass


class InvalidTransition(OrderError):
    pass


class Tracked(Protocol):
    """What the transition rules read of an order."""

    number: str
    status: str
    fulfilment: str


def path_of(fulfilment: str) -> list[str]:
    """The statuses an order goes through, in order, for its way of fulfilment."""
    last_mile = "ready_for_pickup" if fulfilment == "pickup" else "out_for_delivery"
    return ["new", "confirmed", "preparing", last_mile, "completed"]


def next_status(order: Tracked) -> str | None:
    path = path_of(order.fulfilment)
    if order.status not in path or order.status == "completed":
        return None
    return path[path.index(order.status) + 1]


def check_transition(order: Tracked, target: str) -> None:
    """Raise unless `target` is a valid next status (forward along the path, or cancel)."""
    if target not in STATUSES:
        raise UnknownStatus(f"unknown status {target!r}; one of: {', '.join(STATUSES)}")
    if order.status in FINAL:
        raise InvalidTransition(f"order {order.number} is already {order.status}")
    if target == order.status:
        raise InvalidTransition(f"order {order.number} is already {target}")
    if target == "cancelled":
        return
    path = path_of(order.fulfilment)
    if target not in path:
        raise InvalidTransition(f"{target} does not apply to a {order.fulfilment} order")
    if path.index(target) < path.index(order.status):
        raise InvalidTransition(f"order {order.number} cannot go back from {order.status}")
