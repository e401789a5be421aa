"""The held-out sets that move between channels, played like the tuned journeys.

benchmarks/journeys.py measures the held-out sets through the web chat of a running server
(the demo catalog's real opening hours, which some journeys ask about). A set with a journey
that moves to Telegram or SMS midway, or plays in more channels, needs the channel fakes:
such a file is played here, whole. Each case is named after its file, so one round plays
alone: `pytest tests/conversations -k round4`. A journey marked `xfail:` (a first-run miss
not fixed yet) is expected to fail, strictly: once it passes, the mark must go.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conversations.conftest import Shop
from tests.conversations.player import HELDOUT, Journey, load, play
from tests.conversations.test_journeys import customer_for


def _needs_channels(journey: Journey) -> bool:
    return journey.channels != ["web"] or any(s.channel not in (None, "web") for s in journey.steps)


_ALL = load(HELDOUT)
_FILES = {j.source for j in _ALL if _needs_channels(j)}
JOURNEYS = [j for j in _ALL if j.source in _FILES]


def cases() -> list[Any]:
    return [
        pytest.param(
            journey,
            channel,
            id=f"{journey.source.removesuffix('.yaml')}:{journey.id}@{channel}",
            marks=[pytest.mark.xfail(reason=journey.xfail, strict=True)] if journey.xfail else [],
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
