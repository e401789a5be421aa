"""What rereading a message shares: how sure a reread is, and what the dialogue state says
was just ordered or is in the cart (`bot.dialogue.repair`)."""

from __future__ import annotations

from bot.dialogue.turn import Turn

# Confident enough to interrupt a flow: the message itself says what it is about.
REREAD_CONFIDENCE = 0.8

# A guess below this is no understanding (the fallback ladder takes over).
MIN_CONFIDENCE = 0.45


def reread(turn: Turn, intent: str) -> None:
    turn.parse = {**turn.parse, "intent": {"name": intent, "confidence": REREAD_CONFIDENCE}}


def just_added(turn: Turn) -> bool:
    slots = turn.state.slots or {}
    return bool(slots.get("last_items") or slots.get("last_item"))


def holds_items(turn: Turn) -> bool:
    """Items were just added, or the cart read with the turn's context holds some (after a
    removal or a question nothing was "just added", yet the customer may be done)."""
    if just_added(turn):
        return True
    cart = turn.preloaded.cart if turn.preloaded is not None else None
    return bool(cart is not None and cart.__dict__.get("items"))
