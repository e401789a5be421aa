"""Joining identities only on proof, and one customer afterwards across channels."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.app import build_runtime, start_runtime, stop_runtime
from bot.core import Core
from bot.domain.phones import normalise_phone, readable_phone
from bot.messages import InboundMessage
from bot.store.models import Customer, LinkToken, utcnow
from tests.bot.channel import CollectingChannel
from tests.conftest import make_settings


class PhoneChannel(CollectingChannel):
    """Stands for SMS: addresses are phone numbers, STOP withdraws consent."""

    addresses_are_phones = True
    consent_flag = "sms_opt_out"

    def __init__(self) -> None:
        super().__init__("sms", buttons=False)


class LinkingChannel(CollectingChannel):
    label = "Telegram"

    def deep_link(self, token: str) -> str:
        return f"https://t.me/omnibot_test_bot?start={token}"


class AcknowledgingChannel(CollectingChannel):
    """Stands for the web chat: its client is acknowledged with the replies, so a message
    is stored with its turn in one transaction."""

    acknowledges_with_reply = True


@pytest.fixture
async def core(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    runtime = build_runtime(make_settings(tmp_path, database_url=database_url))
    channels = {
        "tg": LinkingChannel("tg"),
        "web": CollectingChannel("web"),
        "sms": PhoneChannel(),
        "chat": AcknowledgingChannel("chat"),
    }
    for channel in channels.values():
        runtime.core.register_channel(channel)
    await start_runtime(runtime)
    runtime.core.test_channels = channels  # type: ignore[attr-defined]
    yield runtime.core
    await stop_runtime(runtime)


def say(core: Core, channel: str, address: str, text: str, **meta: Any) -> Any:
    return core.receive(InboundMessage(channel=channel, address=address, text=text, meta=meta))


def code_in(receipt: Any) -> str:
    match = re.search(r"\b(\d{6})\b", receipt.replies[0]["text"])
    assert match, receipt.replies
    return match.group(1)


async def test_a_code_from_one_channel_typed_in_another_joins_history_and_cart(core: Core) -> None:
    tg = await say(core, "tg", "100", "poproszę dwie duże margherity")
    assert "2 × Margherita" in tg.replies[0]["text"]
    offer = await say(core, "tg", "100", "połącz konto")
    assert "t.me/omnibot_test_bot?start=" in offer.replies[0]["text"]
    web = await say(core, "web", "w1", code_in(offer))
    assert "koszyk (2 szt.)" in web.replies[0]["text"]
    cart = await say(core, "web", "w1", "koszyk")
    assert "2 × Margherita" in cart.replies[0]["text"]
    async with core.sessions() as s:
        from bot.store import repo

        customer = await repo.live_customer(s, tg.customer_id)
        assert customer is not None and customer.id == cart.customer_id
        channels = {m.channel for m in await repo.timeline(s, customer.id)}
    assert channels == {"tg", "web"}  # one timeline across both channels


async def test_a_chat_address_joined_into_another_customer_writes_as_that_customer(
    core: Core,
) -> None:
    """The web chat's customer of an address, remembered between its messages, is not the
    one written as after a join on another channel moved the address away."""
    ordered = await say(core, "chat", "c1", "poproszę dwie duże margherity")
    offer = await say(core, "chat", "c1", "połącz konto")
    joined = await say(core, "tg", "300", code_in(offer))  # the Telegram customer stays
    assert joined.customer_id != ordered.customer_id
    cart = await say(core, "chat", "c1", "koszyk")
    assert "2 × Margherita" in cart.replies[0]["text"]
    assert cart.customer_id == joined.customer_id
    async with core.sessions() as s:
        from bot.store import repo

        channels = {m.channel for m in await repo.timeline(s, joined.customer_id)}
    assert channels == {"tg", "chat"}


async def test_codes_are_single_use_expire_and_lock_after_five_wrong(core: Core) -> None:
    offer = await say(core, "tg", "200", "połącz konto")
    code = code_in(offer)
    first = await say(core, "web", "w2", code)
    assert "Połączyłem" in first.replies[0]["text"]
    reused = await say(core, "web", "w3", code)
    assert "nieprawidłowy" in reused.replies[0]["text"]

    offer = await say(core, "tg", "201", "połącz konto")
    async with core.sessions() as s:
        await s.execute(update(LinkToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        await s.commit()
    expired = await say(core, "web", "w4", code_in(offer))
    assert "nieprawidłowy" in expired.replies[0]["text"]

    good = code_in(await say(core, "tg", "202", "połącz konto"))
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    replies = [(await say(core, "web", "w5", wrong)).replies[0]["text"] for _ in range(5)]
    assert "Za dużo" in replies[-1]
    locked = await say(core, "web", "w5", good)  # even the right code, while locked
    assert "Za dużo" in locked.replies[0]["text"]
    async with core.sessions() as s:
        joined = await s.scalars(select(Customer).where(Customer.merged_into_id.is_not(None)))
        assert len(joined.all()) == 1  # only the first, valid join happened


async def test_own_code_joins_nothing(core: Core) -> None:
    offer = await say(core, "tg", "300", "połącz konto")
    own = await say(core, "tg", "300", code_in(offer))
    assert "innym kanale" in own.replies[0]["text"]


async def test_a_proven_phone_joins_the_sms_customer_but_a_foreign_contact_does_not(
    core: Core,
) -> None:
    sms = await say(core, "sms", "+48600111222", "koszyk", proven_phone="+48600111222")
    await say(core, "tg", "400", "poproszę colę")
    foreign = await say(core, "tg", "401", "", foreign_contact=True)
    assert "własny numer" in foreign.replies[0]["text"]
    joined = await say(core, "tg", "400", "+48 600 111 222", proven_phone="48600111222")
    assert "Połączyłem" in joined.replies[0]["text"]
    after = await say(core, "sms", "+48600111222", "koszyk")
    assert "Cola" in after.replies[0]["text"]
    assert after.customer_id != sms.customer_id  # now the Telegram customer answers


async def test_sms_code_to_a_typed_phone_proves_it(core: Core) -> None:
    sms: PhoneChannel = core.test_channels["sms"]  # type: ignore[attr-defined]
    asked = await say(core, "web", "w6", "połącz konto z numerem 600 999 888")
    assert "600 999 888" in asked.replies[0]["text"]
    assert sms.sent and sms.sent[-1].address == "+48600999888"
    code = re.search(r"\d{6}", sms.sent[-1].text)
    assert code
    wrong_customer = await say(core, "tg", "500", code.group(0))
    assert "nieprawidłowy" in wrong_customer.replies[0]["text"]
    done = await say(core, "web", "w6", code.group(0))
    assert "600 999 888" in done.replies[0]["text"]
    later = await say(core, "sms", "+48600999888", "koszyk")
    assert later.customer_id == done.customer_id


async def test_deep_link_token_joins_once(core: Core) -> None:
    offer = await say(core, "web", "w7", "poproszę dużą pepperoni")
    offer = await say(core, "web", "w7", "połącz konto")
    token = re.search(r"start=([\w-]+)", offer.replies[0]["text"])
    assert token
    tg = await say(core, "tg", "700", "/start", link_token=token.group(1))
    assert "koszyk (1 szt.)" in tg.replies[0]["text"]
    again = await say(core, "tg", "701", "/start", link_token=token.group(1))
    assert "nieprawidłowy" in again.replies[0]["text"]


async def test_proactive_messages_go_to_the_last_active_channel_only(core: Core) -> None:
    tg: CollectingChannel = core.test_channels["tg"]  # type: ignore[attr-defined]
    web: CollectingChannel = core.test_channels["web"]  # type: ignore[attr-defined]
    offer = await say(core, "tg", "800", "połącz konto")
    await say(core, "web", "w8", code_in(offer))
    before_tg, before_web = len(tg.sent), len(web.sent)
    await core.send_proactive(offer.customer_id, "Twoje zamówienie jest w drodze")
    assert len(web.sent) == before_web + 1 and len(tg.sent) == before_tg
    await say(core, "tg", "800", "dzięki")
    before_tg, before_web = len(tg.sent), len(web.sent)
    await core.send_proactive(offer.customer_id, "Smacznego")
    assert len(tg.sent) == before_tg + 1 and len(web.sent) == before_web


async def test_after_stop_no_sms_is_sent(core: Core) -> None:
    sms: PhoneChannel = core.test_channels["sms"]  # type: ignore[attr-defined]
    first = await say(core, "sms", "+48600222333", "cześć")
    stop = await say(core, "sms", "+48600222333", "STOP", sms_opt_out=True)
    sent_after_stop = len(sms.sent)
    assert "START" in sms.sent[-1].text  # the one confirmation
    await say(core, "sms", "+48600222333", "menu")
    await core.send_proactive(first.customer_id, "Promocja!")
    assert len(sms.sent) == sent_after_stop
    assert stop.replies
    await say(core, "sms", "+48600222333", "START", sms_opt_in=True)
    assert len(sms.sent) == sent_after_stop + 1


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("600 111 222", "+48600111222"),
        ("+48 600-111-222", "+48600111222"),
        ("0048600111222", "+48600111222"),
        ("48600111222", "+48600111222"),
        ("+1 415 555 0100", "+14155550100"),
        ("12", None),
        ("abc", None),
    ],
)
def test_phone_numbers_normalise_to_e164(raw: str, e164: str | None) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+48600700812", "600 700 812"),
        ("+48221234567", "22 123 45 67"),
        ("+442079460958", "+44 20 7946 0958"),
        ("", ""),
        ("not a number", "not a number"),
    ],
)
def test_stored_numbers_are_shown_as_people_write_them(e164: str, shown: str) -> None:
    assert readable_phone(e164) == shown


async def test_sms_codes_only_where_allowed_and_not_too_often(core: Core) -> None:
    sms: PhoneChannel = core.test_channels["sms"]  # type: ignore[attr-defined]
    abroad = await say(core, "web", "w9", "połącz konto z numerem +1 415 555 0100")
    assert "+48" in abroad.replies[0]["text"] and not sms.sent
    # A number that said STOP gets no code, whoever asks.
    await say(core, "sms", "+48600444555", "STOP", sms_opt_out=True)
    sent = len(sms.sent)
    refused = await say(core, "web", "w9", "połącz konto z numerem 600 444 555")
    assert "Nie mogę" in refused.replies[0]["text"] and len(sms.sent) == sent
    # At most three codes an hour to one number.
    for _ in range(3):
        await say(core, "web", "w10", "połącz konto z numerem 600 666 777")
    fourth = await say(core, "web", "w11", "połącz konto z numerem 600 666 777")
    assert "za godzinę" in fourth.replies[0]["text"]
    assert len([m for m in sms.sent if m.address == "+48600666777"]) == 3


async def test_guessing_codes_across_many_sessions_pauses_linking(
    tmp_path: Path, database_url: str
) -> None:
    runtime = build_runtime(
        make_settings(tmp_path, database_url=database_url, link_wrong_codes_limit=3)
    )
    runtime.core.register_channel(LinkingChannel("tg"))
    runtime.core.register_channel(CollectingChannel("web"))
    await start_runtime(runtime)
    core = runtime.core
    try:
        code = code_in(await say(core, "tg", "900", "połącz konto"))
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for attacker in ("a1", "a2", "a3"):  # a fresh customer each: no per-customer lock
            await say(core, "web", attacker, wrong)
        paused = await say(core, "web", "a4", code)  # even the right code, for now
        assert "wstrzymane" in paused.replies[0]["text"]
        async with core.sessions() as s:
            joined = await s.scalars(select(Customer).where(Customer.merged_into_id.is_not(None)))
            assert joined.all() == []
    finally:
        await stop_runtime(runtime)


async def test_sms_codes_go_only_to_mobile_numbers(core: Core) -> None:
    sms: PhoneChannel = core.test_channels["sms"]  # type: ignore[attr-defined]
    landline = await say(core, "web", "m1", "połącz konto z numerem 12 345 67 89")  # Kraków
    assert "komórkowy" in landline.replies[0]["text"] and not sms.sent
    mobile = await say(core, "web", "m1", "połącz konto z numerem 600 123 456")
    assert "600 123 456" in mobile.replies[0]["text"] and len(sms.sent) == 1


async def test_sms_codes_have_a_budget_per_requester_and_for_everyone(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(
        tmp_path, database_url=database_url, sms_codes_per_ip=2, sms_codes_per_hour=4
    )
    runtime = build_runtime(settings)
    sms = PhoneChannel()
    runtime.core.register_channel(sms)
    runtime.core.register_channel(CollectingChannel("web"))
    await start_runtime(runtime)
    core = runtime.core
    try:
        # One address, a fresh session (customer) and a fresh number each time.
        texts = []
        for n in range(3):
            asked = await say(
                core, "web", f"s{n}", f"połącz konto z numerem 600 100 20{n}",
                client_address="6.6.6.6",
            )  # fmt: skip
            texts.append(asked.replies[0]["text"])
        assert "za godzinę" in texts[2] and len(sms.sent) == 2
        # Others still get codes, until the shop's own hourly budget is spent.
        for n, address in enumerate(("7.7.7.7", "8.8.8.8", "9.9.9.9")):
            await say(
                core, "web", f"o{n}", f"połącz konto z numerem 600 100 30{n}",
                client_address=address,
            )  # fmt: skip
        assert [m.address for m in sms.sent][2:] == ["+48600100300", "+48600100301"]
    finally:
        await stop_runtime(runtime)


async def test_one_guesser_cannot_pause_linking_for_everyone(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(
        tmp_path, database_url=database_url, link_wrong_codes_per_ip=3, link_wrong_codes_limit=5
    )
    runtime = build_runtime(settings)
    runtime.core.register_channel(LinkingChannel("tg"))
    runtime.core.register_channel(CollectingChannel("web"))
    await start_runtime(runtime)
    core = runtime.core
    try:
        code = code_in(await say(core, "tg", "900", "połącz konto"))
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        replies = []
        for n in range(8):  # fresh sessions: no per-customer lock, only the address's
            guess = await say(core, "web", f"g{n}", wrong, client_address="6.6.6.6")
            replies.append(guess.replies[0]["text"])
        assert all("nieprawidłowy" in r for r in replies[:3])
        assert all("Za dużo" in r for r in replies[3:])
        await say(core, "web", "honest", code, client_address="1.1.1.1")
        async with core.sessions() as s:
            merged = await s.scalars(select(Customer).where(Customer.merged_into_id.is_not(None)))
            assert len(merged.all()) == 1  # the honest customer's accounts were joined
    finally:
        await stop_runtime(runtime)


async def joined(core: Core, *receipts: Any) -> bool:
    """Whether the customers of these receipts are one customer now."""
    async with core.sessions() as s:
        from bot.store import repo

        live = {(await repo.live_customer(s, r.customer_id)).id for r in receipts}  # type: ignore[union-attr]
    return len(live) == 1


async def test_a_code_typed_by_a_customer_with_a_history_joins_only_after_yes(core: Core) -> None:
    """A 6-digit code from someone else's web chat, typed by an SMS customer who has written
    before: asked first, with yes/no; "tak" joins."""
    sms = await say(core, "sms", "+48600444555", "poproszę dużą margheritę")
    web = await say(core, "chat", "stranger", "połącz konto")
    asked = await say(core, "sms", "+48600444555", code_in(web))
    assert "Potwierdź tylko, jeśli to Ty" in asked.replies[0]["text"]
    assert len(asked.replies[0]["buttons"]) == 2
    assert not await joined(core, sms, web)
    yes = await say(core, "sms", "+48600444555", "tak")
    assert "Połączyłem" in yes.replies[0]["text"]
    assert await joined(core, sms, web)


async def test_a_code_answered_no_or_with_something_else_joins_nothing(core: Core) -> None:
    tg = await say(core, "tg", "900", "I'd like a large pepperoni")
    web = await say(core, "chat", "stranger-2", "połącz konto")
    code = code_in(web)
    asked = await say(core, "tg", "900", code)
    assert "Only confirm if you" in asked.replies[0]["text"]  # in the customer's language
    no = await say(core, "tg", "900", "no")
    assert "haven't connected" in no.replies[0]["text"]
    assert not await joined(core, tg, web)
    again = await say(core, "tg", "900", code)  # spent
    assert "invalid" in again.replies[0]["text"]

    web = await say(core, "chat", "stranger-3", "połącz konto")
    await say(core, "tg", "900", code_in(web))
    other = await say(core, "tg", "900", "show my cart")  # not an answer: handled as usual
    texts = " ".join(r["text"] for r in other.replies)
    assert "haven't connected" in texts and "Pepperoni" in texts
    assert not await joined(core, tg, web)
    late = await say(core, "tg", "900", "yes")  # the question is gone
    assert not await joined(core, tg, web)
    assert "Only confirm" not in " ".join(r["text"] for r in late.replies)


async def test_a_yes_after_the_question_lapsed_joins_nothing(core: Core) -> None:
    from bot.store.models import DialogueState

    sms = await say(core, "sms", "+48600444666", "cześć")
    web = await say(core, "chat", "stranger-4", "połącz konto")
    await say(core, "sms", "+48600444666", code_in(web))
    async with core.sessions() as s:
        state = await s.scalar(
            select(DialogueState).where(DialogueState.customer_id == sms.customer_id)
        )
        assert state is not None
        values = dict(state.slots["confirm_join_values"])
        values["until"] = (utcnow() - timedelta(seconds=1)).isoformat()
        state.slots = {**state.slots, "confirm_join_values": values}
        await s.commit()
    late = await say(core, "sms", "+48600444666", "tak")
    assert "Minęło za dużo czasu" in late.replies[0]["text"]
    assert not await joined(core, sms, web)


async def test_a_link_opened_while_a_person_has_the_conversation_is_explained_and_kept(
    core: Core,
) -> None:
    """The silent bot cannot ask whether to join, so the link stays unspent: the customer
    hears why nothing happened, the agent reads it live, and after the handback it joins."""
    from bot.auth import create_user
    from bot.handoff import assign, resolve
    from bot.hub import AGENT_TOPIC
    from bot.store import repo

    tg = await say(core, "tg", "910", "poproszę dużą pepperoni")
    web = await say(core, "web", "w910", "połącz konto")
    link = re.search(r"start=([\w-]+)", web.replies[0]["text"])
    assert link
    async with core.sessions() as s:
        agent = await create_user(s, "ala@shop.pl", "correct horse", "agent")
        conversation = await repo.conversation_of(s, tg.customer_id)
        await assign(s, conversation.id, agent)
    async with core.hub.subscribe(AGENT_TOPIC) as console:
        opened = await say(core, "tg", "910", "/start", link_token=link.group(1))
        events = [console.get_nowait() for _ in range(console.qsize())]
    assert [r["text"] for r in opened.replies] == [
        "Rozmawiasz teraz z osobą z naszego zespołu, więc nie połączyłem tego czatu z tamtą "
        "rozmową. Link działa jeszcze 10 min — otwórz go ponownie, gdy skończycie rozmowę."
    ]
    notes = [e["message"] for e in events if e["type"] == "note"]
    assert [n["system_note"] for n in notes] == ["link_with_agent"]
    assert notes[0]["private"] and notes[0]["note_params"] == {"minutes": 10}
    assert not await joined(core, tg, web)

    async with core.sessions() as s:
        conversation = await repo.conversation_of(s, tg.customer_id)
        await resolve(s, conversation)
    again = await say(core, "tg", "910", "/start", link_token=link.group(1))
    assert "Potwierdź tylko, jeśli to Ty" in again.replies[0]["text"]  # unspent: asked now
    yes = await say(core, "tg", "910", "tak")
    assert "Połączyłem" in yes.replies[0]["text"]
    assert await joined(core, tg, web)
