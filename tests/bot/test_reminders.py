"""Abandoned-cart reminders: once, in the last active channel, in hours, never where forbidden."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.app import build_runtime, start_runtime, stop_runtime
from bot.core import Core
from bot.messages import InboundMessage
from bot.store import repo
from bot.store.models import CartItem, ChannelIdentity, Customer
from tests.bot.channel import CollectingChannel
from tests.bot.test_identity import PhoneChannel
from tests.conftest import make_settings

# 12:00 in Warsaw (inside 09:00–21:00) and 23:30 (quiet hours).
NOON = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
NIGHT = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)


@pytest.fixture
async def env(tmp_path: Path):  # type: ignore[no-untyped-def]
    runtime = build_runtime(make_settings(tmp_path))
    web, sms = CollectingChannel("web"), PhoneChannel()
    runtime.core.register_channel(web)
    runtime.core.register_channel(sms)
    await start_runtime(runtime)
    assert runtime.reminders is not None
    yield runtime.core, runtime.reminders, web, sms
    await stop_runtime(runtime)


async def abandoned_cart(
    core: Core,
    channel: str,
    address: str,
    idle: timedelta,
    lines: list[tuple[str, str | None, int]] | None = None,
) -> int:
    receipt = await core.receive(InboundMessage(channel=channel, address=address, text="cześć"))
    async with core.sessions() as s:
        cart = await repo.cart_of(s, receipt.customer_id)
        for product_id, size, quantity in lines or [("margherita", "large", 2)]:
            cart.items.append(CartItem(product_id=product_id, size=size, quantity=quantity))
        await s.execute(
            update(Customer).where(Customer.id == receipt.customer_id).values(seen_at=NOON - idle)
        )
        await s.commit()
    return receipt.customer_id


async def test_one_reminder_in_the_last_channel(env: Any) -> None:
    core, reminders, web, _ = env
    await abandoned_cart(core, "web", "w1", timedelta(hours=2))
    await abandoned_cart(core, "web", "fresh", timedelta(minutes=10))  # still shopping
    before = len(web.sent)
    assert await reminders.run_once(NOON) == 1
    assert len(web.sent) == before + 1
    assert "koszyk czeka" in web.sent[-1].text and "79,80 zł" in web.sent[-1].text
    assert next(b.payload for b in web.sent[-1].buttons) == "/checkout"
    assert await reminders.run_once(NOON + timedelta(minutes=5)) == 0  # never twice


async def test_quiet_hours_wait_for_the_morning(env: Any) -> None:
    core, reminders, _web, _ = env
    await abandoned_cart(core, "web", "w2", timedelta(hours=3))
    assert await reminders.run_once(NIGHT) == 0
    assert await reminders.run_once(NOON) == 1


async def test_never_by_sms_to_an_opted_out_number(env: Any) -> None:
    core, reminders, _, sms = env
    customer_id = await abandoned_cart(core, "sms", "+48600777888", timedelta(hours=2))
    await core.receive(
        InboundMessage(
            channel="sms", address="+48600777888", text="STOP", meta={"sms_opt_out": True}
        )
    )
    async with core.sessions() as s:
        await s.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(seen_at=NOON - timedelta(hours=2))
        )
        await s.commit()
    sent = len(sms.sent)
    await reminders.run_once(NOON)
    assert len(sms.sent) == sent


async def test_never_to_a_blocked_chat(env: Any) -> None:
    core, reminders, web, _ = env
    customer_id = await abandoned_cart(core, "web", "blocked", timedelta(hours=2))
    async with core.sessions() as s:
        await s.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.customer_id == customer_id)
            .values(unreachable=True)
        )
        await s.commit()
    sent = len(web.sent)
    await reminders.run_once(NOON)
    assert len(web.sent) == sent


async def test_a_reminder_survives_lines_the_catalog_no_longer_has(
    env: Any, caplog: pytest.LogCaptureFixture
) -> None:
    core, reminders, web, _ = env
    # The operator removed the XXL size, and the calzone, after these carts were filled.
    await abandoned_cart(
        core,
        "web",
        "edited",
        timedelta(hours=2),
        [("pepperoni", "xxl", 1), ("margherita", "large", 2), ("calzone", None, 1)],
    )
    await abandoned_cart(core, "web", "only-gone", timedelta(hours=2), [("calzone", None, 3)])
    await abandoned_cart(core, "web", "untouched", timedelta(hours=2))
    sent = len(web.sent)

    assert await reminders.run_once(NOON) == 2  # the batch went on past the edited cart

    reminded = {m.address: m for m in web.sent[sent:]}
    assert set(reminded) == {"edited", "untouched"}  # nothing left to order: no reminder
    assert "79,80 zł" in reminded["edited"].text  # the two margheritas that still exist
    assert "79,80 zł" in reminded["untouched"].text
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert any("pepperoni" in m and "xxl" in m for m in skipped)
    assert any("calzone" in m for m in skipped)


def test_hours_may_run_past_midnight() -> None:
    from bot.domain.handoff import SupportHours

    night_shift = SupportHours.from_text("20:00", "02:00", "Europe/Warsaw")
    assert night_shift.open_at(NIGHT)  # 23:30 in Warsaw
    assert not night_shift.open_at(NOON)


async def test_a_reminders_option_is_picked_by_its_number(env: Any) -> None:
    core, reminders, _, sms = env
    customer_id = await abandoned_cart(core, "sms", "+48600222444", timedelta(hours=2))
    assert await reminders.run_once(NOON) == 1
    assert "1. " in sms.sent[-1].text  # SMS shows the reminder's buttons as numbered options
    await core.receive(InboundMessage(channel="sms", address="+48600222444", text="1"))
    async with core.sessions() as s:
        state = await repo.dialogue_state_of(s, customer_id)
        assert state.flow == "checkout"  # "1" was the reminder's first option, checkout
