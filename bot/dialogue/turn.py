"""The turn vocabulary: what one customer message is handled with, and what it comes to.

A handler reads a `Turn` (the customer context, the parse, the pending options) and adds to
it; `Turn.outcome()` is the value handed back up to the core, which alone writes it (one
transaction) and delivers it: replies, a handoff request, joined customers, messages for
other addresses. Plain values; nothing here does I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Button
from bot.store.models import Conversation, Customer, DialogueState
from bot.store.preloaded import Preloaded

_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.S)
# A button payload's entity values are scalars; anything else was not made by us.
MAX_PAYLOAD_TEXT = 500


@dataclass
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)
    # Channel hints stored with the reply (e.g. request_phone: Telegram's share-phone key).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Join:
    """Two customers became one in this turn: `merged_id` now lives on as `survivor_id`."""

    merged_id: int
    survivor_id: int


@dataclass(frozen=True)
class JoinOffer:
    """A join that waits for this turn's customer to say yes: they redeemed a link or code of
    customer `other_id` (whose conversation began at `since`) while having a history of their
    own, so the link may be a stranger's. Unanswered after `until`, it lapses."""

    other_id: int
    since: datetime
    until: datetime


@dataclass(frozen=True)
class Outgoing:
    """A message for another address than the one being answered (an SMS code)."""

    channel: str
    address: str
    text: str
    author: str = "system"


@dataclass(frozen=True)
class Note:
    """A private note for the agents on the customer's thread: the console says `code` with
    `params` in its staff's language; `text` is the English for any other reader."""

    code: str
    params: dict[str, Any]
    text: str


@dataclass(frozen=True)
class TurnOutcome:
    """What one turn comes to; the core writes it in one transaction and delivers it."""

    intent: str
    confidence: float
    replies: list[Reply]
    # Stored with every reply of this turn (e.g. a consent confirmation marker).
    reply_extra: dict[str, Any] = field(default_factory=dict)
    handoff: str | None = None  # the reason, when a person should take over
    joins: list[Join] = field(default_factory=list)
    outgoing: list[Outgoing] = field(default_factory=list)
    # "flow.step" when the message was taken while a flow awaited its answer (an address, a
    # name): an answer, never an unmatched message in analytics.
    flow_step: str | None = None
    understood: bool = True  # False when the fallback ladder answered
    notes: list[Note] = field(default_factory=list)


@dataclass
class TurnContext:
    """What the core loaded for one message: the customer's context and what was understood."""

    session: AsyncSession
    customer: Customer
    conversation: Conversation
    state: DialogueState
    parse: dict[str, Any]
    lang: str
    with_agent: bool = False  # a person has the conversation: the bot stays silent
    # The network address the message came from, when its channel knows one (web chat):
    # abuse budgets (SMS codes, code guessing) count per requester before any global one.
    requester: str | None = None
    # The cart and latest orders, read with the context (None: read when asked for).
    preloaded: Preloaded | None = None

    def turn(self) -> Turn:
        return Turn(
            self.session,
            self.customer,
            self.conversation,
            self.state,
            self.parse,
            self.lang,
            requester=self.requester,
            preloaded=self.preloaded,
        )


@dataclass
class Turn(TurnContext):
    """Everything one customer message is handled with, passed in (never global), and what
    its handlers add up to (`outcome()`)."""

    replies: list[Reply] = field(default_factory=list)
    reply_extra: dict[str, Any] = field(default_factory=dict)
    outgoing: list[Outgoing] = field(default_factory=list)
    joins: list[Join] = field(default_factory=list)
    # Set by the identity linker when a join needs the customer's yes (the dialogue asks).
    join_offer: JoinOffer | None = None
    # Set by a handler to hand the conversation to a human (the core does the rest).
    handoff_reason: str | None = None
    flow_step: str | None = None
    understood: bool = True
    notes: list[Note] = field(default_factory=list)
    # What the customer must hear even while a person has the conversation and the bot is
    # otherwise silent (a consent confirmation, why a link did nothing).
    heard_with_agent: bool = False

    def entity(self, name: str) -> Any:
        return next(
            (e["value"] for e in self.parse.get("entities", []) if e["entity"] == name), None
        )

    def entities(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.parse.get("entities", []) if e["entity"] == name]

    @property
    def intent(self) -> str:
        return str(self.parse.get("intent", {}).get("name") or "nlu_fallback")

    @property
    def confidence(self) -> float:
        return float(self.parse.get("intent", {}).get("confidence") or 0.0)

    @property
    def text(self) -> str:
        return str(self.parse.get("text") or "")

    @property
    def from_button(self) -> bool:
        return self.text.startswith("/") and self.confidence >= 1.0

    def outcome(self) -> TurnOutcome:
        return TurnOutcome(
            intent=self.intent,
            confidence=self.confidence,
            replies=list(self.replies),
            reply_extra=dict(self.reply_extra),
            handoff=self.handoff_reason,
            joins=list(self.joins),
            outgoing=list(self.outgoing),
            flow_step=self.flow_step,
            understood=self.understood,
            notes=list(self.notes),
        )


Handler = Callable[[Turn], Awaitable[None]]


def _plain(value: Any) -> bool:
    """A value a button of ours could carry: a short string, a number, a flag. (A number
    out of range is the action's to refuse, in words the customer understands.)"""
    if value is None or isinstance(value, (bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return len(value) <= MAX_PAYLOAD_TEXT
    return False


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a value")  # Infinity, NaN


def parse_payload(payload: str) -> dict[str, Any] | None:
    """A button payload in Rasa's form `/intent{"entity": "value"}` as a parse result.

    None when it is not one of ours: malformed JSON, Infinity/NaN, lists, objects, long text.
    """
    m = _PAYLOAD.match(payload.strip())
    if not m:
        return None
    entities: list[dict[str, Any]] = []
    if m.group("entities"):
        try:
            values = json.loads(m.group("entities"), parse_constant=_no_constants)
        except (ValueError, RecursionError):  # JSONDecodeError is a ValueError too
            return None
        if not isinstance(values, dict) or not all(_plain(v) for v in values.values()):
            return None
        entities = [
            {"entity": str(k), "value": v, "start": 0, "end": 0, "confidence": 1.0}
            for k, v in values.items()
        ]
    intent = {"name": m.group("intent"), "confidence": 1.0}
    return {"text": payload, "intent": intent, "intent_ranking": [intent], "entities": entities}


def payload_for(intent: str, **entities: Any) -> str:
    return f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")
