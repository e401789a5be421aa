"""The conversation suite: customer journeys end in the cart, order and conversation they meant.

Every journey runs in the web chat; those that list `telegram` or `sms` in `channels` run
there too, against the local fakes, and must also deliver every reply to that channel only.
The held-out journeys (tests/conversations/heldout) are measured by benchmarks/journeys.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conversations.conftest import Shop, SmsCustomer, TelegramCustomer
from tests.conversations.player import HELDOUT, TUNED, Customer, WebChatCustomer, load, play

JOURNEYS = load(TUNED)


def cases() -> list[Any]:
    return [
        pytest.param(journey, channel, id=f"{journey.id}@{channel}")
        for journey in JOURNEYS
        for channel in journey.channels
    ]


def customer_for(shop: Shop, channel: str) -> Customer:
    if channel == "telegram":
        return TelegramCustomer(shop)
    if channel == "sms":
        return SmsCustomer(shop)
    return WebChatCustomer(shop.http)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("journey", "channel"), cases())
async def test_journey_ends_as_meant(shop: Shop, journey: Any, channel: str) -> None:
    customer = customer_for(shop, channel)
    outcome = await play(journey, customer, shop.read_state)
    story = "\n".join(outcome.transcript)
    if not outcome.ok:
        pytest.fail(
            f"{journey.id} ({journey.source}) via {channel}:\n"
            + "\n".join([*outcome.failures, "", story]),
            pytrace=False,
        )
    if channel != "web":
        # Which channel got what: every bot message went out in the customer's own channel.
        profile = await shop.read_state(await customer.customer_id())
        bot_lines = [m for m in profile["timeline"] if m["author"] == "bot"]
        assert bot_lines and {m["channel"] for m in bot_lines} == {channel}
        delivered = (
            len(customer.sent())
            if isinstance(customer, TelegramCustomer)
            else len(shop.twilio.messages_to(customer.phone))
            if isinstance(customer, SmsCustomer)
            else 0
        )
        assert delivered == len(bot_lines), (delivered, len(bot_lines))


def test_the_suite_is_big_enough_bilingual_and_has_a_held_out_part() -> None:
    heldout = load(HELDOUT)
    assert len(JOURNEYS) + len(heldout) >= 100
    assert {j.lang for j in JOURNEYS} == {j.lang for j in heldout} == {"pl", "en"}
    assert len(heldout) >= 0.25 * (len(JOURNEYS) + len(heldout))
    assert any(len(j.channels) > 1 for j in JOURNEYS)
    assert not {j.id for j in JOURNEYS} & {j.id for j in heldout}
