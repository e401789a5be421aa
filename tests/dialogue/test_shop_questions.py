"""Questions about the shop get the answer to the question asked, from the shop's facts:
a weekday's hours (not the holidays answer), and "no" or "yes" first when a place is
named in a question about the delivery area."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_settings, running_app
from tests.dialogue.test_checkout_facts import catalog_file, chat, text_of

HOURS = {
    "mon": "closed",
    "tue": "11:00-22:00",
    "wed": "11:00-22:00",
    "thu": "11:00-22:00",
    "fri": "11:00-23:00",
    "sat": "11:00-23:00",
    "sun": "13:00-21:00",
}


async def test_a_weekday_asked_about_gets_that_days_hours_and_holidays_stay_holidays(
    tmp_path: Path,
) -> None:
    path = catalog_file(tmp_path, hours=HOURS)
    async with running_app(make_settings(tmp_path, catalog_path=path)) as (_app, http):
        say = await chat(http)
        sunday = text_of(await say("czy jestescie otwarci w niedziele?"))
        assert sunday == "Tak, jesteśmy otwarci w niedzielę 13:00–21:00.", sunday
        monday = text_of(await say("czy jesteście otwarci w poniedziałek?"))
        assert monday.startswith("Nie, w poniedziałek mamy nieczynne."), monday
        # A holiday on a Sunday is a question about holidays, not about Sundays.
        easter = text_of(await say("czy jesteście otwarci w wielkanocną niedzielę?"))
        assert "Tak, jesteśmy otwarci w niedzielę" not in easter, easter
        english = await chat(http)
        await english("English please")
        weekend = text_of(await english("when are you open at the weekend?"))
        # Asked when, not whether: the hours, no "yes" before them.
        assert weekend == "We're open on Saturday 11:00–23:00, on Sunday 13:00–21:00."


async def test_a_place_named_in_an_area_question_gets_no_or_yes_first(tmp_path: Path) -> None:
    path = catalog_file(tmp_path)
    async with running_app(make_settings(tmp_path, catalog_path=path)) as (_app, http):
        say = await chat(http)
        no = text_of(await say("a dowozicie na Mokotow?"))
        assert no.startswith("Nie, na Mokotow nie dowozimy. Dowozimy"), no
        yes = text_of(await say("czy dowozicie na Kazimierz?"))
        assert yes == "Tak, Kazimierz jest w naszej strefie dostawy — dowozimy zwykle w 45–60 min."
        english = await chat(http)
        await english("English please")
        abroad = text_of(await english("do you deliver to Wieliczka?"))
        assert abroad.startswith("No, we don't deliver to Wieliczka."), abroad
        general = text_of(await say("gdzie dowozicie?"))
        assert not general.startswith(("Tak", "Nie")) and "Kazimierz" in general, general


async def test_the_area_answer_follows_the_shops_facts(tmp_path: Path) -> None:
    area = {"cities": ["Warszawa", "Mokotów"], "postcodes": []}
    path = catalog_file(tmp_path, delivery_area=area, delivery_minutes="30-40")
    async with running_app(make_settings(tmp_path, catalog_path=path)) as (_app, http):
        say = await chat(http)
        yes = text_of(await say("a dowozicie na Mokotow?"))
        assert yes == "Tak, Mokotów jest w naszej strefie dostawy — dowozimy zwykle w 30–40 min."
        no = text_of(await say("czy dowozicie na Kazimierz?"))
        assert no.startswith("Nie, na Kazimierz nie dowozimy."), no
