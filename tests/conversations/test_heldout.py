"""The held-out journeys (tests/conversations/heldout), played like the tuned ones.

Each case is named after its file, so one round plays alone: `pytest tests/conversations -k
round4`. A journey whose steps move to Telegram or SMS gets a new address there and joins only
with the proof a customer would use (a code or deep link the bot showed).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conversations.conftest import Shop
from tests.conversations.player import HELDOUT, load, play
from tests.conversations.test_journeys import customer_for

JOURNEYS = load(HELDOUT)


def cases() -> list[Any]:
    return [
        pytest.param(
            journey, channel, id=f"{journey.source.removesuffix('.yaml')}:{journey.id}@{channel}"
        )
        for journey in JOURNEYS
        for channel in journey.channels
    ]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("journey", "channel"), cases())
async def test_held_out_journey_ends_as_meant(shop: Shop, journey: Any, channel: str) -> None:
    outcome = await play(
        journey, customer_for(shop, channel), shop.read_state, lambda c: customer_for(shop, c)
    )
    if not outcome.ok:
        pytest.fail(
            f"{journey.id} ({journey.source}) via {channel}:\n"
            + "\n".join([*outcome.failures, "", *outcome.transcript]),
            pytrace=False,
        )
