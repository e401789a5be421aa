"""Handoff state, once: which conversation states belong to a person, support hours, and
putting a conversation in the agents' queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from bot.store import repo
from bot.store.models import Conversation, utcnow

# The conversation is a person's business: asked for (waiting) or taken.
AGENT_STATES = ("waiting_agent", "agent")
# Why a conversation waits when the customer left a message for the team.
LEFT_MESSAGE = "message_for_team"
# Reasons whose message is itself what the team must answer (a complaint): with nobody at
# work it is kept for them as it is, and no other message is asked for.
RECORDED_AS_SAID = frozenset({"complaint"})


def bot_stays_silent(conversation: Conversation) -> bool:
    """Only a person who has actually taken the conversation silences the bot; while the
    customer waits, the bot keeps answering what it can."""
    return conversation.status == "agent"


@dataclass(frozen=True)
class SupportHours:
    opens: time
    closes: time
    zone: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> SupportHours:
        start, _, end = settings.support_hours.partition("-")
        return cls.from_text(start, end, settings.support_timezone)

    @classmethod
    def from_text(cls, start: str, end: str, zone: str) -> SupportHours:
        return cls(
            time.fromisoformat(start.strip()), time.fromisoformat(end.strip()), ZoneInfo(zone)
        )

    def open_at(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        if self.opens <= self.closes:
            return self.opens <= local < self.closes
        return local >= self.opens or local < self.closes  # overnight, e.g. 20:00-02:00

    def describe(self) -> str:
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"


async def start_handoff(session: AsyncSession, conversation: Conversation, reason: str) -> bool:
    """Put the conversation in the agents' queue; False if a human already has it."""
    if conversation.status in AGENT_STATES:
        return False
    conversation.status = "waiting_agent"
    conversation.waiting_since = utcnow()
    conversation.handoff_reason = reason
    conversation.assigned_agent_id = None
    repo.record_event(session, "handoff", conversation.customer_id, None, reason=reason)
    return True


async def keep_message_for_team(
    session: AsyncSession, conversation: Conversation, text: str
) -> None:
    """The customer's message for the team waits in the agents' inbox (queue), with it.

    Left while the conversation already waits for a person (asked for one, then "leave a
    message"), it joins that wait's handoff: one request, one handoff in the customer's
    history, the message on it."""
    waiting = conversation.status == "waiting_agent"
    if not waiting:
        conversation.waiting_since = utcnow()
        conversation.assigned_agent_id = None
    conversation.status = "waiting_agent"
    conversation.handoff_reason = LEFT_MESSAGE
    current = await repo.latest_event(session, conversation.customer_id, "handoff")
    if waiting and current is not None:
        data = dict(current.data or {})
        data["message"] = "\n\n".join(m for m in (data.get("message"), text) if m)
        current.data = data
        return
    repo.record_event(
        session, "handoff", conversation.customer_id, None, reason=LEFT_MESSAGE, message=text
    )
