"""Joining identities across channels, only on proof: one-time codes, deep links, phones.

A customer is never merged on an unverified claim. Everything here runs inside the
processing transaction of one message, so a join is atomic with the reply about it.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.dialogue.responses import Responses
from bot.dialogue.speaker import Speaker
from bot.dialogue.turn import Join, JoinOffer, Note, Outgoing, Turn
from bot.domain.order_status import CUSTOMER_CANCELLABLE
from bot.domain.phones import find_phone, is_mobile, normalise_phone, readable_phone
from bot.messages import Button
from bot.orders import latest_order
from bot.ratelimit import Budget, Limiter
from bot.store import repo
from bot.store.merge import Carried, merge_customers
from bot.store.models import (
    ChannelIdentity,
    Customer,
    Event,
    LinkToken,
    Message,
    Order,
    utcnow,
)

CODE_TTL = timedelta(minutes=10)
MAX_WRONG_CODES = 5
LOCK_TIME = timedelta(minutes=15)
_CODE = re.compile(r"^\s*(\d{3})[\s-]?(\d{3})\s*$")


@dataclass(frozen=True)
class LinkLimits:
    """Abuse limits: SMS codes cost money and reach strangers; codes can be guessed."""

    sms_prefixes: tuple[str, ...] = ("+48",)  # where codes may be sent by SMS
    sms_codes_per_hour: int = 3  # per phone number and per requesting customer
    sms_codes_per_requester: int = 5  # per client address, per hour
    sms_codes_everyone_per_hour: int = 100  # the shop's whole SMS budget for codes
    wrong_codes_per_requester: int = 20  # per client address per window: checked first
    wrong_codes_per_window: int = 100  # across everyone; beyond it linking by code pauses
    window: timedelta = timedelta(minutes=10)

    # Budgets kept in the shared limiter (Redis across instances): one requester runs out
    # of its own long before it can spend everyone's.
    def sms_per_requester(self) -> Budget:
        return Budget("sms-codes-requester", self.sms_codes_per_requester, 3600)

    def sms_everyone(self) -> Budget:
        return Budget("sms-codes-everyone", self.sms_codes_everyone_per_hour, 3600)

    def wrong_per_requester(self) -> Budget:
        seconds = int(self.window.total_seconds())
        return Budget("link-wrong-requester", self.wrong_codes_per_requester, seconds)


OPT_OUT_NOTE = (
    "The customer texted {keyword!r}, an SMS opt-out keyword, while order {number} could still "
    "be cancelled: texts to this number are off now. If they meant the order, reach them "
    "another way (their reply START turns texts back on)."
)
LINK_WITH_AGENT_NOTE = (
    "A link to join another conversation into this one was opened here while a person has "
    "it: nothing was joined, and the customer was told so. The link works for {minutes} more "
    "min; opened again once the conversation is back with the bot, it joins them."
)


def opt_out_note(message: Message, number: str) -> Note:
    keyword = (message.text or "").strip()[:40]
    params = {"keyword": keyword, "number": number}
    return Note("sms_opt_out", params, OPT_OUT_NOTE.format(**params))


class IdentityLinker:
    """Channel facts (proven phones, deep-link tokens, opt-outs) and one-time codes."""

    def __init__(
        self,
        responses: Responses,
        deep_links: Callable[[str], list[tuple[str, str]]],
        sms_channel: Callable[[], str | None],
        limits: LinkLimits | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        self.responses = responses
        self.speaker = Speaker(responses)
        self._deep_links = deep_links  # token -> [(channel label, url)]
        self._sms_channel = sms_channel  # the channel that can send a code by SMS, if any
        self.limits = limits or LinkLimits()
        self.limiter = limiter or Limiter()

    def say(self, turn: Turn, key: str, buttons: list[Button] | None = None, **values: Any) -> None:
        self.speaker.say(turn, key, buttons, **values)

    # -- before the dialogue -------------------------------------------------------
    async def before_dialogue(
        self, turn: Turn, message: Message, *, with_agent: bool = False
    ) -> bool:
        """Act on channel facts and typed codes; True when the message is fully handled.

        While a person has the conversation, six digits are words for them, not a code."""
        facts: dict[str, Any] = (message.payload or {}).get("facts") or {}
        customer = turn.customer
        if facts.get("display_name") and not customer.name:
            customer.name = str(facts["display_name"])[:200]
        if facts.get("sms_opt_out"):
            # The provider's own keyword handling (Twilio: a lone STOP, CANCEL, END …) has
            # stopped texts to this number already: mirror it, never argue with it.
            customer.sms_opt_out = True
            order = await latest_order(
                turn.session, customer.id, CUSTOMER_CANCELLABLE, turn.preloaded
            )
            if order is None:
                self.say(turn, "sms_opt_out")
            else:
                # "CANCEL" may have meant the order: say how to cancel it, tell the team.
                self.say(turn, "sms_opt_out_open_order", number=order.number)
                turn.notes.append(opt_out_note(message, order.number))
            turn.reply_extra = {"consent_confirmation": True}
            turn.heard_with_agent = True
            return True
        if facts.get("sms_opt_in") and customer.sms_opt_out:
            # START/YES only bring back a number that opted out; otherwise "yes" is an
            # answer ("Shall I place it?") and goes to the dialogue.
            customer.sms_opt_out = False
            self.say(turn, "sms_opt_in")
            return True
        if facts.get("unsupported") and not (message.text or "").strip():
            self.say(turn, "unsupported_content")
            return True
        if facts.get("foreign_contact"):
            self.say(turn, "contact_not_yours")
            return True
        if facts.get("proven_phone"):
            phone = normalise_phone(str(facts["proven_phone"]))
            if phone and message.channel != self._sms_channel():
                await self.join_phone(turn, phone, proof=message.channel)
                # A flow in progress (checkout asking for the phone) goes on with it.
                return not turn.state.flow
            if phone:
                customer.phone = customer.phone or phone
        if facts.get("link_token") and with_agent:
            await self.leave_link_for_later(turn, str(facts["link_token"]))
            return True
        if facts.get("link_token"):
            await self.redeem(turn, message, str(facts["link_token"]), kinds=("deeplink",))
            return True
        match = None if with_agent else _CODE.match(message.text or "")
        if match and not (message.payload or {}).get("button_payload"):
            code = match.group(1) + match.group(2)
            await self.redeem(turn, message, code, kinds=("code", "sms_code"))
            return True
        return False

    # -- the link_channels intent --------------------------------------------------
    async def start_linking(self, turn: Turn) -> None:
        """Offer a code for another channel, a deep link, or an SMS code to a typed phone."""
        phone_value = turn.entity("phone")
        if phone_value:
            phone = normalise_phone(str(phone_value))
        else:
            found = find_phone(turn.text)
            phone = found.e164 if found else None
        sms = self._sms_channel()
        if phone and sms:
            refusal = await self._sms_code_refusal(turn, sms, phone)
            if refusal:
                self.say(turn, refusal, phone=readable_phone(phone))
                return
            await self._spend_sms_budgets(turn)
            code = await self._new_token(turn, "sms_code", target=phone)
            text = self.speaker.text("sms_code_text", turn.lang, code=code)
            turn.outgoing.append(Outgoing(channel=sms, address=phone, text=text))
            self.say(turn, "sms_code_sent", phone=readable_phone(phone))
            return
        code = await self._new_token(turn, "code")
        token = await self._new_token(turn, "deeplink")
        links = self._deep_links(token)
        text = "\n".join(f"{label}: {url}" for label, url in links)
        self.say(turn, "link_code", code=code, links=("\n" + text) if text else "")

    async def _sms_code_refusal(self, turn: Turn, sms: str, phone: str) -> str | None:
        """Why no code may be texted to this phone now (a response key), or None."""
        if not phone.startswith(self.limits.sms_prefixes):
            return "sms_code_country"
        if not is_mobile(phone):
            return "sms_code_not_mobile"  # a landline cannot read it; premium ones cost
        identity = await repo.find_identity(turn.session, sms, phone)
        if identity is not None:
            owner = await repo.live_customer(turn.session, identity.customer_id)
            if identity.unreachable or (owner is not None and owner.sms_opt_out):
                return "sms_code_refused"
        hour_ago = utcnow() - timedelta(hours=1)
        for condition in (LinkToken.target == phone, LinkToken.customer_id == turn.customer.id):
            recent = await turn.session.scalar(
                select(func.count())
                .select_from(LinkToken)
                .where(LinkToken.kind == "sms_code", LinkToken.created_at > hour_ago, condition)
            )
            if (recent or 0) >= self.limits.sms_codes_per_hour:
                return "sms_code_limit"
        if turn.requester and not await self.limiter.allows(
            self.limits.sms_per_requester(), turn.requester
        ):
            return "sms_code_limit"
        if not await self.limiter.allows(self.limits.sms_everyone(), "shop"):
            return "sms_code_limit"
        return None

    async def _spend_sms_budgets(self, turn: Turn) -> None:
        if turn.requester:
            await self.limiter.hit(self.limits.sms_per_requester(), turn.requester)
        await self.limiter.hit(self.limits.sms_everyone(), "shop")

    async def _new_token(self, turn: Turn, kind: str, target: str | None = None) -> str:
        now = utcnow()
        while True:
            value = (
                secrets.token_urlsafe(18)
                if kind == "deeplink"
                else f"{secrets.randbelow(10**6):06d}"
            )
            clash = await turn.session.scalar(
                select(LinkToken.id).where(
                    LinkToken.token == value,
                    LinkToken.used_at.is_(None),
                    LinkToken.expires_at > now,
                )
            )
            if clash is None:
                break
        turn.session.add(
            LinkToken(
                kind=kind,
                token=value,
                customer_id=turn.customer.id,
                target=target,
                expires_at=now + CODE_TTL,
                created_at=now,
            )
        )
        return value

    # -- redeeming -----------------------------------------------------------------
    def _locked_until(self, turn: Turn) -> datetime | None:
        raw = (turn.state.slots or {}).get("link_locked_until")
        if not raw:
            return None
        until = datetime.fromisoformat(raw)
        return until if until > datetime.now(UTC) else None

    async def _wrong_code(self, turn: Turn) -> None:
        repo.record_event(turn.session, "link_failed", turn.customer.id)
        if turn.requester:
            await self.limiter.hit(self.limits.wrong_per_requester(), turn.requester)
        slots = dict(turn.state.slots or {})
        failures = int(slots.get("link_failures", 0)) + 1
        if failures >= MAX_WRONG_CODES:
            slots["link_locked_until"] = (datetime.now(UTC) + LOCK_TIME).isoformat()
            failures = 0
            self.say(turn, "link_locked", minutes=int(LOCK_TIME.total_seconds() // 60))
        else:
            self.say(turn, "link_bad_code")
        slots["link_failures"] = failures
        turn.state.slots = slots

    async def redeem(
        self, turn: Turn, message: Message, value: str, kinds: tuple[str, ...]
    ) -> None:
        """Join the customer who asked for this link or code into this turn's customer: at
        once when this side is new, otherwise only after its yes (`turn.join_offer`)."""
        if self._locked_until(turn):
            self.say(turn, "link_locked", minutes=int(LOCK_TIME.total_seconds() // 60))
            return
        now = utcnow()
        guessable = kinds != ("deeplink",)  # 6 digits can be guessed; deep links cannot
        if guessable and turn.requester:
            # The guesser's own budget first, so that one address cannot pause linking
            # for everyone by spending the global one.
            budget = self.limits.wrong_per_requester()
            if not await self.limiter.allows(budget, turn.requester):
                self.say(turn, "link_locked", minutes=budget.seconds // 60)
                return
        if guessable:  # a budget for everyone, against guessing from many addresses
            wrong = await turn.session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.kind == "link_failed", Event.created_at > now - self.limits.window)
            )
            if (wrong or 0) >= self.limits.wrong_codes_per_window:
                self.say(turn, "link_paused")
                return
        token = await turn.session.scalar(
            select(LinkToken)
            .where(
                LinkToken.token == value,
                LinkToken.kind.in_(kinds),
                LinkToken.used_at.is_(None),
                LinkToken.expires_at > now,
            )
            .with_for_update()
        )
        owner = await repo.live_customer(turn.session, token.customer_id) if token else None
        if token is None or owner is None:
            await self._wrong_code(turn)
            return
        if token.kind == "sms_code":
            # Typed by the customer who asked for it: they proved the phone.
            if owner.id != turn.customer.id or not token.target:
                await self._wrong_code(turn)
                return
            token.used_at = now
            await self.join_phone(turn, token.target, proof="sms_code")
            return
        token.used_at = now
        if owner.id == turn.customer.id:
            self.say(turn, "link_own_code")
            return
        if await self._has_history(turn, message):
            # Whoever sent this link or code would see this customer's history: spent now,
            # joined only if the customer says yes here (the dialogue asks).
            turn.join_offer = JoinOffer(owner.id, since=owner.created_at, until=now + CODE_TTL)
            return
        await self._join(turn, owner)

    async def leave_link_for_later(self, turn: Turn, value: str) -> None:
        """A link opened while a person has this conversation: its join would need the
        customer's yes, which the silent bot cannot ask for, so it is left unspent. The
        customer hears why nothing happened, the agents read it in a note."""
        turn.heard_with_agent = True
        now = utcnow()
        token = await turn.session.scalar(
            select(LinkToken).where(
                LinkToken.token == value,
                LinkToken.kind == "deeplink",
                LinkToken.used_at.is_(None),
                LinkToken.expires_at > now,
            )
        )
        owner = await repo.live_customer(turn.session, token.customer_id) if token else None
        if token is None or owner is None:
            self.say(turn, "link_bad_code")
            return
        if owner.id == turn.customer.id:
            self.say(turn, "link_own_code")
            return
        minutes = max(1, math.ceil((token.expires_at - now).total_seconds() / 60))
        self.say(turn, "link_with_agent", minutes=minutes)
        params = {"minutes": minutes}
        turn.notes.append(Note("link_with_agent", params, LINK_WITH_AGENT_NOTE.format(**params)))

    async def _has_history(self, turn: Turn, message: Message) -> bool:
        """Whether this customer existed before this message: other messages, an order, a
        saved e-mail (not a side that this very /start or code just created). A phone alone
        is no history: an SMS side knows its own from its first message."""
        customer = turn.customer
        if customer.email:
            return True
        for query in (
            select(Message.id).where(Message.customer_id == customer.id, Message.id != message.id),
            select(Order.id).where(Order.customer_id == customer.id),
        ):
            if await turn.session.scalar(query.limit(1)) is not None:
                return True
        return False

    async def accept_offer(self, turn: Turn, offer: JoinOffer) -> None:
        """The customer said yes to the join they were asked about: joined as a link joins,
        unless the question lapsed."""
        other = await repo.live_customer(turn.session, offer.other_id)
        if offer.until <= utcnow() or other is None:
            self.say(turn, "link_offer_lapsed")
            return
        if other.id == turn.customer.id:
            self.say(turn, "linked")
            return
        await self._join(turn, other)

    async def join_phone(self, turn: Turn, phone: str, proof: str) -> None:
        """A phone proven by a channel: the SMS identity of that number joins this customer."""
        session = turn.session
        sms = self._sms_channel() or "sms"
        turn.customer.phone = phone
        identity = await repo.find_identity(session, sms, phone)
        if identity is None:
            session.add(
                ChannelIdentity(
                    channel=sms,
                    address=phone,
                    customer_id=turn.customer.id,
                    verified_by=proof,
                    last_seen_at=utcnow() - timedelta(days=1),
                )
            )
            await session.flush()
            self.say(turn, "phone_linked", phone=readable_phone(phone))
            return
        other = await repo.live_customer(session, identity.customer_id)
        if other is None or other.id == turn.customer.id:
            self.say(turn, "phone_linked", phone=readable_phone(phone))
            return
        await self._join(turn, other)

    async def _join(self, turn: Turn, other: Customer) -> None:
        """`other` joins this turn's customer, who is welcomed with what was carried over."""
        carried = await merge_customers(turn.session, turn.customer, other)
        turn.joins.append(Join(other.id, turn.customer.id))
        turn.preloaded = None  # the cart and orders read before the join are not all there is
        self._welcome(turn, carried)

    def _welcome(self, turn: Turn, carried: Carried) -> None:
        parts = []
        if carried.cart_items:
            parts.append(self.speaker.text("carried_cart", turn.lang, n=carried.cart_items))
        if carried.open_order:
            parts.append(self.speaker.text("carried_order", turn.lang, number=carried.open_order))
        key = "linked_carried" if parts else "linked"
        buttons = [
            Button(b["title"], b["payload"])
            for b in ((turn.state.pending_options or {}).get("buttons") or [])
        ]
        self.say(turn, key, buttons, carried=", ".join(parts))
        turn.state.slots = {**(turn.state.slots or {}), "just_linked": True}
