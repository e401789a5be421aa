"""Shop questions in the customer's own words, through the real pipeline and NLU: the place
asked about named as the shop writes it, and the hours of the day asked about."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot.app import build_runtime, start_runtime, stop_runtime
from bot.core import Core
from tests.bot.channel import CollectingChannel
from tests.conftest import make_settings
from tests.dialogue.chat import Chat
from tests.dialogue.test_checkout_facts import catalog_file

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Every day its own hours, so that an answer shows which day it is about.
HOURS = {
    "mon": "10:00-20:00",
    "tue": "11:00-21:00",
    "wed": "12:00-22:00",
    "thu": "13:00-23:00",
    "fri": "14:00-23:30",
    "sat": "15:00-01:00",
    "sun": "16:00-21:30",
}
SPANS = [h.replace("-", "–") for h in HOURS.values()]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def core(tmp_path_factory: pytest.TempPathFactory, interpreter: Any) -> AsyncIterator[Core]:
    data = tmp_path_factory.mktemp("asked")
    runtime = build_runtime(
        make_settings(data, catalog_path=catalog_file(data, hours=HOURS, timezone="Europe/Warsaw"))
    )
    runtime.core.register_channel(CollectingChannel("test"))
    await start_runtime(runtime)
    runtime.core.interpreter = interpreter
    yield runtime.core
    await stop_runtime(runtime)


async def ask(core: Core, *texts: str) -> str:
    chat = Chat(core)
    for text in texts:
        result = await chat.say(text)
    return result.text


@pytest.mark.parametrize(
    ("texts", "said", "not_said"),
    [
        (["do u deliver to wieliczka"], "No, we don't deliver to Wieliczka. We deliver only to: "
         "Kraków, Kazimierz", ["wieliczka", "Cracow"]),
        (["English please", "do you deliver to cracow?"], "Yes, we deliver to Kraków", ["cracow"]),
        (["czy dowozicie do krakowa"], "Tak, Kraków jest w naszej strefie dostawy", ["krakowa"]),
        (["a do wieliczki dowozicie?"], "Nie, do Wieliczki nie dowozimy. Dowozimy tylko do: "
         "Kraków, Kazimierz", ["wieliczki", "Cracow"]),
    ],
)  # fmt: skip
async def test_the_place_asked_about_is_named_as_the_shop_writes_it(
    core: Core, texts: list[str], said: str, not_said: list[str]
) -> None:
    text = await ask(core, *texts)
    assert text.startswith(said), text
    for wrong in not_said:
        assert wrong not in text, text


def weekday(day: int | str) -> int:
    """A weekday (Monday = 0), or "today" / "tomorrow" where the shop is."""
    if isinstance(day, int):
        return day
    today = datetime.now(ZoneInfo("Europe/Warsaw")).weekday()
    return (today + (day == "tomorrow")) % 7


@pytest.mark.parametrize(
    ("texts", "start", "day"),
    [
        (["do ktorej dzis robicie"], "Jesteśmy otwarci dziś ", "today"),
        (["o ktorej zamykacie w sobote"], "Jesteśmy otwarci w sobotę ", 5),
        (["English please", "what time do you close today"], "We're open today ", "today"),
        (["English please", "what time do you open tomorrow?"], "We're open tomorrow ", "tomorrow"),
        (["czy jutro jestescie otwarci?"], "Tak, jesteśmy otwarci jutro ", "tomorrow"),
    ],
)
async def test_a_question_about_a_days_hours_gets_that_days_hours(
    core: Core, texts: list[str], start: str, day: int | str
) -> None:
    """Today and tomorrow are the shop's, named days are those; "yes" only when asked whether.
    Not the whole week, nor a "Tak" to "o której"."""
    text = await ask(core, *texts)
    assert text == f"{start}{SPANS[weekday(day)]}.", text
