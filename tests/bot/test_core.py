"""The inbound pipeline: dedup, order, concurrency, outbox delivery and retries."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only

from bot.app import build_runtime, start_runtime, stop_runtime
from bot.core import Core
from bot.messages import DeliveryError, InboundMessage
from bot.store import repo
from bot.store.models import ChannelIdentity, Message, Order
from tests.bot.channel import CollectingChannel
from tests.conftest import make_settings, postgres_database
from tests.store.test_turn_reads import order


@pytest.fixture
async def core(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, database_url=database_url, outbox_retry_base_seconds=0.05)
    runtime = build_runtime(settings)
    channel = CollectingChannel()
    runtime.core.register_channel(channel)
    await start_runtime(runtime)
    runtime.core.test_channel = channel  # type: ignore[attr-defined]
    yield runtime.core
    await stop_runtime(runtime)


def msg(
    text: str, address: str = "alice", provider_id: str | None = None, **kw: Any
) -> InboundMessage:
    return InboundMessage(channel="test", address=address, text=text, provider_id=provider_id, **kw)


async def count(core: Core, *where: Any) -> int:
    async with core.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Message).where(*where)) or 0)


async def test_a_retried_message_is_stored_and_answered_once(core: Core) -> None:
    first = await core.receive(msg("cześć", provider_id="p-1"))
    again = await core.receive(msg("cześć", provider_id="p-1"))
    assert again.duplicate and not first.duplicate
    assert again.message["id"] == first.message["id"]
    assert [r["id"] for r in again.replies] == [r["id"] for r in first.replies]
    assert await count(core, Message.direction == "in") == 1
    assert len(core.test_channel.sent) == 1  # type: ignore[attr-defined]


async def test_replies_go_out_with_buttons_and_are_stored(core: Core) -> None:
    receipt = await core.receive(msg("hello"))
    assert receipt.replies and receipt.replies[0]["author"] == "bot"
    assert receipt.replies[0]["buttons"]
    sent = core.test_channel.sent  # type: ignore[attr-defined]
    assert sent[0].text == receipt.replies[0]["text"]
    assert await count(core, Message.delivery_status == "sent") == 1


async def eventually(check: Any, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


async def eventually_async(get: Any, expected: Any, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while await get() != expected:
            await asyncio.sleep(0.01)


class GatedInterpreter:
    """Holds chosen texts until released, to prove ordering and concurrency."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.gates: dict[str, asyncio.Event] = {}
        self.seen: list[str] = []

    async def aparse(self, text: str, lang: str | None = None) -> dict[str, Any]:
        self.seen.append(text)
        gate = self.gates.get(text)
        if gate is not None:
            await asyncio.wait_for(gate.wait(), timeout=10)
        return await self.inner.aparse(text, lang)


async def test_one_customers_messages_are_processed_in_order(core: Core) -> None:
    gated = GatedInterpreter(core.interpreter)
    core.interpreter = gated
    gated.gates["menu"] = asyncio.Event()
    first = asyncio.create_task(core.receive(msg("menu")))
    await eventually(lambda: gated.seen == ["menu"])
    second = asyncio.create_task(core.receive(msg("koszyk")))
    await eventually_async(lambda: count(core, Message.direction == "in"), 2)
    await asyncio.sleep(0.1)
    assert gated.seen == ["menu"]  # stored, but waiting behind the first
    gated.gates["menu"].set()
    r1, r2 = await asyncio.gather(first, second)
    assert gated.seen == ["menu", "koszyk"]
    assert r1.replies[0]["id"] < r2.replies[0]["id"]
    assert "Pizze" in r1.replies[0]["buttons"][0]["title"] or r1.replies[0]["buttons"]


async def test_two_customers_are_served_concurrently(core: Core) -> None:
    gated = GatedInterpreter(core.interpreter)
    core.interpreter = gated
    # Alice's message waits until Bob's has been understood: serial processing would hang.
    gated.gates["menu"] = asyncio.Event()

    async def bob() -> Any:
        receipt = await core.receive(msg("koszyk", address="bob"))
        gated.gates["menu"].set()
        return receipt

    alice_task = asyncio.create_task(core.receive(msg("menu", address="alice")))
    await eventually(lambda: gated.seen == ["menu"])
    bob_receipt = await asyncio.wait_for(bob(), timeout=5)
    alice_receipt = await asyncio.wait_for(alice_task, timeout=5)
    assert bob_receipt.customer_id != alice_receipt.customer_id
    assert bob_receipt.replies and alice_receipt.replies


async def test_failed_delivery_is_retried_with_backoff(core: Core) -> None:
    channel: CollectingChannel = core.test_channel  # type: ignore[attr-defined]
    channel.failures.append(DeliveryError("server error"))
    receipt = await core.receive(msg("cześć"))
    assert channel.sent == []
    status = None
    for _ in range(100):
        async with core.sessions() as s:
            row = await s.get(Message, receipt.replies[0]["id"])
            assert row is not None
            status, attempts = row.delivery_status, row.attempts
        if status == "sent":
            break
        await asyncio.sleep(0.05)
    assert status == "sent" and attempts == 2
    assert channel.texts() == [receipt.replies[0]["text"]]


async def test_permanent_failure_marks_the_address_unreachable(core: Core) -> None:
    channel: CollectingChannel = core.test_channel  # type: ignore[attr-defined]
    channel.failures.append(DeliveryError("blocked by user", permanent=True))
    receipt = await core.receive(msg("cześć"))
    async with core.sessions() as s:
        row = await s.get(Message, receipt.replies[0]["id"])
        assert row is not None and row.delivery_status == "failed"
        identity = await s.scalar(select(ChannelIdentity).where(ChannelIdentity.address == "alice"))
        assert identity is not None and identity.unreachable
    # A proactive message now has nowhere to go and is not sent anywhere.
    result = await core.send_proactive(receipt.customer_id, "Your pizza is on its way")
    assert result is not None
    assert channel.sent == []


async def test_numbered_options_for_channels_without_buttons(core: Core) -> None:
    plain = CollectingChannel("plain", buttons=False)
    core.register_channel(plain)
    await core.receive(InboundMessage(channel="plain", address="p", text="cześć"))
    assert "1. Menu" in plain.sent[0].text and plain.sent[0].buttons == []
    receipt = await core.receive(InboundMessage(channel="plain", address="p", text="1"))
    assert "Pizze" in receipt.replies[0]["text"] or "kategori" in receipt.replies[0]["text"]


async def test_control_characters_are_dropped_and_long_text_is_cut_politely(core: Core) -> None:
    receipt = await core.receive(msg("cz\x00eść\x07"))
    assert receipt.message["text"] == "cześć"
    long = await core.receive(msg("a" * (core.settings.max_message_chars + 50)))
    assert len(long.message["text"]) == core.settings.max_message_chars
    assert any("długa" in r["text"] or "long" in r["text"] for r in long.replies)


async def test_history_cart_state_survive_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    runtime = build_runtime(settings)
    channel = CollectingChannel()
    runtime.core.register_channel(channel)
    await start_runtime(runtime)
    await runtime.core.receive(msg("poproszę dwie margherity"))  # asks for the size
    await stop_runtime(runtime)

    runtime = build_runtime(make_settings(tmp_path))
    runtime.core.register_channel(channel)
    await start_runtime(runtime)
    try:
        receipt = await runtime.core.receive(msg("duża"))  # answers the question asked before
        assert "2 × Margherita" in receipt.replies[0]["text"]
        async with runtime.core.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(Message)) == 4
    finally:
        await stop_runtime(runtime)


async def test_a_message_stored_before_a_crash_is_answered_on_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    runtime = build_runtime(settings)
    channel = CollectingChannel()
    runtime.core.register_channel(channel)
    await start_runtime(runtime)
    gate = GatedInterpreter(runtime.core.interpreter)
    gate.gates["menu"] = asyncio.Event()  # never released: the process "dies" mid-message
    runtime.core.interpreter = gate
    task = asyncio.create_task(runtime.core.receive(msg("menu")))
    await eventually(lambda: gate.seen == ["menu"])
    task.cancel()
    await stop_runtime(runtime)

    runtime = build_runtime(make_settings(tmp_path))
    runtime.core.register_channel(channel)
    await start_runtime(runtime)
    try:
        await eventually(lambda: any("Pizze" in t or "kategori" in t for t in channel.texts()))
    finally:
        await stop_runtime(runtime)


def web(text: str, cid: str, address: str = "w-alice") -> InboundMessage:
    """A web chat message as the widget sends it (resent with the same id if unanswered)."""
    return InboundMessage(
        channel="webchat",
        address=address,
        text=text,
        provider_id=f"{address}:{cid}",
        meta={"client_message_id": cid},
    )


async def test_web_chat_messages_of_one_customer_are_answered_and_kept_in_order(
    core: Core,
) -> None:
    gated = GatedInterpreter(core.interpreter)
    core.interpreter = gated
    gated.gates["menu"] = asyncio.Event()
    first = asyncio.create_task(core.receive(web("menu", "c1")))
    await eventually(lambda: gated.seen == ["menu"])
    second = asyncio.create_task(core.receive(web("koszyk", "c2")))
    await asyncio.sleep(0.1)
    assert gated.seen == ["menu"]  # waiting behind the first
    gated.gates["menu"].set()
    r1, r2 = await asyncio.gather(first, second)
    assert gated.seen == ["menu", "koszyk"]
    # The timeline reads as it happened: message, its replies, the next message, its replies.
    ids = [
        r1.message["id"],
        *(r["id"] for r in r1.replies),
        r2.message["id"],
        *(r["id"] for r in r2.replies),
    ]
    assert r1.replies and r2.replies and ids == sorted(ids)
    assert await count(core, Message.direction == "in", Message.delivery_status == "processed") == 2


async def test_one_customers_messages_become_visible_in_the_order_of_their_ids(
    tmp_path: Path,
) -> None:
    """PostgreSQL draws a message's id when the row is inserted, not when it commits: two
    messages of one customer stored at once (two instances, a webhook beside the web chat)
    could commit in the other order. Whoever drained the customer's queue meanwhile answered
    the later one first, and the timeline (in id order) showed the replies swapped."""
    async with postgres_database() as url:
        runtime = build_runtime(make_settings(tmp_path, database_url=url))
        await start_runtime(runtime)
        core = runtime.core
        try:
            await core.accept(msg("cześć"))
            inserted, release = asyncio.Event(), asyncio.Event()

            def hold_first_commit(session: Session, _context: Any) -> None:
                # The first message's row is inserted (its id drawn); its commit waits.
                if any(isinstance(o, Message) and o.text == "first" for o in session.new):
                    inserted.set()
                    await_only(release.wait())

            event.listen(Session, "after_flush", hold_first_commit)
            try:
                first = asyncio.create_task(core.accept(msg("first")))
                await asyncio.wait_for(inserted.wait(), 10)
                second = asyncio.create_task(core.accept(msg("second")))
                waiting = asyncio.create_task(eventually_async(lambda: lock_waits(core), 1))
                # The second is either stored already or waits for the first to commit.
                await asyncio.wait({second, waiting}, return_when=asyncio.FIRST_COMPLETED)
                seen = await inbound_texts(core)
                release.set()
                await asyncio.gather(first, second)
                waiting.cancel()
            finally:
                event.remove(Session, "after_flush", hold_first_commit)
            stored = await inbound_texts(core)
            assert stored == ["cześć", "first", "second"]
            # Nothing appears before a message a reader has already seen.
            assert seen == stored[: len(seen)]
        finally:
            await stop_runtime(runtime)


async def inbound_texts(core: Core) -> list[str]:
    async with core.sessions() as s:
        query = select(Message.text).where(Message.direction == "in").order_by(Message.id)
        return list(await s.scalars(query))


async def lock_waits(core: Core) -> int:
    """Sessions of this database waiting for a lock another transaction holds."""
    async with core.sessions() as s:
        query = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(await s.scalar(query) or 0)


async def test_a_web_chat_turn_works_on_the_cart_and_orders_read_with_its_context(
    core: Core,
) -> None:
    """The cart and the latest orders come with the turn's context: asked about, the order
    named is the store's latest (of the statuses asked for), the one cancelled is the open
    one, and a cart made in the turn is stored with its line."""

    def press(payload: str, cid: str) -> InboundMessage:
        return InboundMessage(
            channel="webchat",
            address="w-anna",
            payload=payload,
            provider_id=f"w-anna:{cid}",
            meta={"client_message_id": cid},
        )

    first = await core.receive(web("cześć", "c1", address="w-anna"))
    customer_id = first.customer_id
    async with core.sessions() as s:
        s.add(order(customer_id, "PZ-10001", "new", 30, "margherita"))
        s.add(order(customer_id, "PZ-10003", "completed", 10, "margherita"))
        await s.commit()
    status = await core.receive(press("/order_status", "c2"))
    assert "PZ-10003" in status.replies[0]["text"]  # the latest, whatever its status
    assert "Margherita" in status.replies[0]["text"]  # with its lines
    ask = await core.receive(press("/cancel_order", "c3"))
    assert "PZ-10001" in ask.replies[0]["text"]  # the latest open one
    done = await core.receive(press("/affirm", "c4"))
    assert "PZ-10001" in done.replies[0]["text"]
    added = await core.receive(web("poproszę dużą margheritę", "c5", address="w-anna"))
    assert "Margherita" in added.replies[0]["text"]
    shown = await core.receive(press("/show_cart", "c6"))
    assert "Margherita" in shown.replies[0]["text"]
    async with core.sessions() as s:
        statuses = dict((await s.execute(select(Order.number, Order.status))).tuples().all())
        assert statuses == {"PZ-10001": "cancelled", "PZ-10003": "completed"}
        cart = await repo.cart_of(s, customer_id)
        assert [(i.product_id, i.size, i.quantity) for i in cart.items] == [
            ("margherita", "large", 1)
        ]
        inbound = await s.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        )
        assert inbound == 6
