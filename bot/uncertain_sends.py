"""Replies interrupted mid-send: neither Telegram nor Twilio takes an idempotency key, so
whether such a reply reached the customer is unknown. Per channel (OUTBOX_RESEND_UNCERTAIN)
it is sent again (at least once) or marked `unknown` and reported to the agents (at most
once)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.hub import AGENT_TOPIC, InProcessHub
from bot.store import repo
from bot.store.models import Message, utcnow

log = logging.getLogger(__name__)

UNCERTAIN_SENDS = Counter(
    "omnibot_outbox_uncertain_total",
    "Replies interrupted mid-send (a crash or a timeout after sending), by what was done",
    ["channel", "action"],
)
INTERRUPTED_RESENT = "interrupted mid-send; sent again (OUTBOX_RESEND_UNCERTAIN)"
INTERRUPTED_UNKNOWN = "interrupted mid-send: it may or may not have reached the customer"
INTERRUPTED_FOUND = "interrupted mid-send; found in the provider's log: sent"
INTERRUPTED_NOT_SENT = "interrupted mid-send; not in the provider's log: sent now"
UNKNOWN_NOTE = (
    "A reply by {channel} was interrupted mid-send and may not have reached the customer "
    "(not resent automatically): “{text}”"
)


# What a channel can say about an interrupted send: (it can tell, the provider's id if sent).
LookUp = Callable[[Message], Awaitable[tuple[bool, str | None]]]


async def settle_abandoned(
    sessions: async_sessionmaker[AsyncSession],
    hub: InProcessHub,
    resends: Callable[[str], bool],
    look_up: LookUp,
    kick: Callable[[], None],
    skip: Collection[int] = (),
) -> int:
    """Rows whose sender died mid-send (their claim ran out). A channel that can look the
    send up in the provider's log (SMS: Twilio's) settles it exactly: sent, or safe to send.
    Otherwise it is resent when `resends(channel)`, else marked `unknown` with a note to the
    agents. Returns how many were found."""
    now = utcnow()
    async with sessions() as session:
        abandoned = list(await repo.abandoned_rows(session, now))
    for row in abandoned:
        if row.id in skip:
            continue
        known, provider_id = await look_up(row)
        if known:
            status = "sent" if provider_id else "pending"
            action = "found_sent" if provider_id else "found_unsent"
            text = INTERRUPTED_FOUND if provider_id else INTERRUPTED_NOT_SENT
        else:
            resend = resends(row.channel)
            status = "pending" if resend else "unknown"
            action = "resent" if resend else "reported"
            text = INTERRUPTED_RESENT if resend else INTERRUPTED_UNKNOWN
        async with sessions() as session:
            settled = await repo.settle_abandoned(session, row.id, now, status, text, provider_id)
            if settled is None:
                continue
            # The report commits with the status: a crash cannot keep one without the other.
            note = stage_unknown_note(session, settled) if status == "unknown" else None
            await session.commit()
            event = note_event(note) if note is not None else None
        UNCERTAIN_SENDS.labels(settled.channel, action).inc()
        log.warning("message %s to %s was interrupted mid-send: %s", row.id, row.channel, action)
        if status == "pending":
            kick()
        if event is not None:
            await hub.publish(AGENT_TOPIC, event)
    return len(abandoned)


def stage_unknown_note(session: AsyncSession, row: Message) -> Message:
    """A private note on the customer's thread for the agents; the caller commits."""
    note = Message(
        customer_id=row.customer_id,
        conversation_id=row.conversation_id,
        direction="out",
        author="system",
        channel="note",
        text=UNKNOWN_NOTE.format(channel=row.channel, text=row.text[:200]),
        payload={
            "buttons": [],
            "uncertain_message_id": row.id,
            "system_note": "delivery_unknown",
            "note_params": {"channel": row.channel, "text": row.text[:200]},
        },
        private=True,
        delivery_status="internal",
        created_at=utcnow(),
    )
    session.add(note)
    repo.record_event(session, "delivery_unknown", row.customer_id, row.channel)
    return note


def note_event(note: Message) -> dict[str, Any]:
    """The agent console's live event for a committed note."""
    return {
        "type": "note",
        "conversation_id": note.conversation_id,
        "message": {**repo.message_object(note), "private": True},
    }
