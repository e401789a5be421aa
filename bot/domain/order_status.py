"""Order statuses and the moves between them, once.

new → confirmed → preparing → out_for_delivery | ready_for_pickup → completed, or cancelled;
the shop may reject an order (with a reason) before it is being prepared. Customers may
cancel while an order is new or confirmed; staff may cancel until it is done.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.refusals import Refusal

STATUSES = (
    "new",
    "confirmed",
    "preparing",
    "out_for_delivery",
    "ready_for_pickup",
    "completed",
    "cancelled",
    "rejected",
)
FINAL = frozenset({"completed", "cancelled", "rejected"})
# Not finished yet: the kitchen still has work, the customer may still ask about it.
OPEN = frozenset(STATUSES) - FINAL
CUSTOMER_CANCELLABLE = frozenset({"new", "confirmed"})
REJECTABLE = frozenset({"new", "confirmed"})
# Reasons the board offers; the customer hears each in their own language.
REASON_CODES = ("ingredient", "too_far", "closed", "busy")
MAX_ETA_MINUTES = 480


class OrderError(Refusal):
    """Something about an order a caller asked for that cannot be done; the message says why."""


class UnknownOrder(OrderError):
    pass


class UnknownStatus(OrderError):
    pass


class InvalidTransition(OrderError):
    pass


class InvalidChange(OrderError):
    """A time or reason that does not fit the change (e.g. rejecting without a reason)."""


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
    if order.status in FINAL or target == order.status:
        raise already(order)
    if target == "cancelled":
        return
    if target == "rejected":
        if order.status not in REJECTABLE:
            raise InvalidTransition(
                f"order {order.number} is {order.status}: too late to reject",
                "order_too_late_to_reject",
                number=order.number,
                status=order.status,
            )
        return
    path = path_of(order.fulfilment)
    if target not in path:
        raise InvalidTransition(
            f"{target} does not apply to a {order.fulfilment} order",
            "order_status_not_for_fulfilment",
            status=target,
            fulfilment=order.fulfilment,
        )
    if path.index(target) < path.index(order.status):
        raise InvalidTransition(
            f"order {order.number} cannot go back from {order.status}",
            "order_cannot_go_back",
            number=order.number,
            status=order.status,
        )


def already(order: Tracked) -> InvalidTransition:
    """The order is already where it was asked to go, or done (another tab, another cook)."""
    return InvalidTransition(
        f"order {order.number} is already {order.status}",
        "order_already",
        number=order.number,
        status=order.status,
    )


def check_change(target: str, eta_minutes: int | None, reason: str | None) -> None:
    """A time belongs to accepting an order; a rejection needs a reason."""
    if eta_minutes is not None:
        if target != "confirmed":
            raise InvalidChange("eta_minutes goes with accepting an order (status confirmed)")
        if not 1 <= eta_minutes <= MAX_ETA_MINUTES:
            raise InvalidChange(
                f"eta_minutes must be 1–{MAX_ETA_MINUTES}", "eta_range", most=str(MAX_ETA_MINUTES)
            )
    if target == "rejected" and not (reason or "").strip():
        raise InvalidChange("say why the order is rejected (reason)", "reason_needed")
