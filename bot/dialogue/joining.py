"""Asking before a customer with a history of their own joins another conversation.

A "Continue in Telegram" link or a 6-digit code can be forwarded by anyone: whoever opened
the conversation it came from would see everything of the customer who redeems it. So when
the redeeming side is not new, the identity linker only offers the join (`Turn.join_offer`)
and this question asks the customer first; the join itself stays the linker's.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from bot.dialogue.confirmation import Confirmation
from bot.dialogue.flows import FlowKit
from bot.dialogue.turn import JoinOffer, Turn
from bot.identity import IdentityLinker
from bot.store.models import utcnow


class JoinQuestion:
    """A yes/no flow: yes joins; no, anything else or too late joins nothing, and says so."""

    name = "confirm_join"
    takes_any_text = False

    def __init__(self, kit: FlowKit, identity: IdentityLinker) -> None:
        self.kit = kit
        self.identity = identity
        self.question = Confirmation(
            self.name,
            kit.speaker,
            "link_offer",
            "btn_yes_link",
            "btn_no_link",
            self._refused,  # replaced per answer by one that knows the offer
            self._refused,
        )

    async def offer(self, turn: Turn, offer: JoinOffer) -> None:
        """Ask about the join the linker offered in this turn."""
        await self.question.start(
            turn,
            since=self._since(turn, offer.since),
            other=offer.other_id,
            since_at=offer.since.isoformat(),
            until=offer.until.isoformat(),
        )

    async def answer(self, turn: Turn) -> bool:
        offer = _offer_in((turn.state.slots or {}).get(f"{self.name}_values") or {})

        async def join(turn: Turn) -> None:
            if offer is None:
                await self._refused(turn)
            else:
                await self.identity.accept_offer(turn, offer)

        if await dataclasses.replace(self.question, on_yes=join).answer(turn):
            return True
        # Not an answer: the question is dropped (nothing joined), the message handled as usual.
        self.kit.speaker.say(turn, "link_offer_declined")
        return False

    async def free_answer(self, turn: Turn) -> bool:
        return False

    async def ask(self, turn: Turn) -> None:
        await self.question.ask(turn)

    async def _refused(self, turn: Turn) -> None:
        voice = self.kit.speaker
        voice.say(turn, "link_offer_declined", voice.main_buttons(turn.lang))

    def _since(self, turn: Turn, at: datetime) -> str:
        """When the other conversation began, in the shop's time: "dziś o 14:05", "on 01.12
        at 9:30"."""
        facts = self.kit.shop.catalog.facts
        local, today = facts.local(at), facts.local(utcnow()).date()
        day = "" if local.date() == today else f"{local:%d.%m} "
        key = "link_offer_today" if not day else "link_offer_day"
        return self.kit.speaker.text(key, turn.lang, day=day.strip(), time=f"{local:%H:%M}")


def _offer_in(values: dict[str, object]) -> JoinOffer | None:
    """The offer kept with the question (None when it is not all there)."""
    try:
        return JoinOffer(
            int(str(values["other"])),
            since=datetime.fromisoformat(str(values["since_at"])),
            until=datetime.fromisoformat(str(values["until"])),
        )
    except (KeyError, ValueError):
        return None
