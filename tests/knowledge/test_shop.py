"""Shop facts: reading them, opening hours across midnight, the delivery area, and
spotting texts that state a fact literally."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.catalog import Catalog, format_price
from knowledge.shop import (
    PlaceAsked,
    ShopError,
    ShopFacts,
    fill,
    hardcoded_facts,
    payment_in_text,
)

REPO = Path(__file__).resolve().parents[2]


def facts(**shop: Any) -> ShopFacts:
    return ShopFacts.from_dict({**Catalog.load().shop, **shop})


def warsaw(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026 in Warsaw (UTC+1): the 7th is a Monday."""
    return datetime(2026, 12, day, hour - 1, minute, tzinfo=UTC)


def test_opening_hours_say_when_the_shop_next_opens() -> None:
    shop = facts()
    assert not shop.is_open(warsaw(8, 3))  # Tuesday 03:00
    assert shop.next_opening(warsaw(8, 3)) == datetime.fromisoformat("2026-12-08T11:00+01:00")
    assert shop.is_open(warsaw(8, 11)) and not shop.is_open(warsaw(8, 22))
    assert shop.is_open(warsaw(11, 22, 30))  # Friday until 23:00
    assert shop.next_opening(warsaw(12, 23, 30)).hour == 12  # Saturday night → Sunday 12:00


def test_hours_past_midnight_and_days_off() -> None:
    late = facts(hours={"fri": "18:00-02:00", "sat": "closed", "mon": "00:00-24:00"})
    assert late.is_open(warsaw(12, 1, 30))  # Saturday 01:30, Friday's hours
    assert not late.is_open(warsaw(12, 2, 30))
    assert late.is_open(warsaw(7, 3)) and late.is_open(warsaw(7, 23, 59))  # Monday all day
    assert late.hours_text("en").startswith("Mon 00:00–24:00, Tue–Thu closed, Fri 18:00–02:00")


@pytest.mark.parametrize(
    ("address", "inside"),
    [
        ("ul. Rynek 5, Wieliczka", False),
        ("Rynek Górny 5 Wieliczka", False),
        ("ul. Rynek 1, 32-020 Wieliczka", False),
        ("ul. Długa 5/3, Kraków", True),
        ("Długa 5, 31-123 Krakow", True),
        ("ul. Józefa 12, Kazimierz", True),
        ("ul. Długa 5, mieszkanie 3", True),  # no place named: taken to be local
        ("Długa 5", True),
    ],
)
def test_the_delivery_area(address: str, inside: bool) -> None:
    assert facts().delivers_to(address) is inside


@pytest.mark.parametrize(
    ("shop", "message"),
    [
        ({"hours": {"mon": "11-22"}}, "hours mon"),
        ({"hours": {"monday": "11:00-22:00"}}, "unknown weekday"),
        ({"payment_methods": {"delivery": ["bitcoin"], "pickup": ["cash"]}}, "bitcoin"),
        ({"payment_methods": {"delivery": [], "pickup": ["cash"]}}, "at least one"),
        ({"delivery_minutes": "soon"}, "delivery_minutes"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"delivery_fee": -1}, "negative"),
    ],
)
def test_bad_facts_are_refused_with_a_reason(shop: dict[str, Any], message: str) -> None:
    with pytest.raises(ShopError, match=message):
        facts(**shop)


def test_texts_that_state_facts_literally_are_spotted() -> None:
    shop = facts()
    assert hardcoded_facts("Dostawa trwa 45–60 minut.", shop) == ["{delivery_time}"]
    assert hardcoded_facts("Delivery takes 30-45 min.", shop) == ["{delivery_time}"]
    assert hardcoded_facts("Dostawa kosztuje 9,90 zł, od 80 zł gratis.", shop) == [
        "{delivery_fee}",
        "{free_delivery_from}",
    ]
    assert hardcoded_facts("Open Mon 11:00–22:00", shop) == ["{opening_hours}"]
    assert hardcoded_facts("Odbierz przy ul. Józefa 12", shop) == ["{shop_address}"]
    assert hardcoded_facts("Pizza bakes for 10 minutes; vouchers for 50 zł.", shop) == []
    assert hardcoded_facts("Dostawa trwa {delivery_time} minut.", shop) == []


def test_the_shipped_faq_and_replies_state_facts_only_through_variables() -> None:
    shop = facts()
    faq = yaml.safe_load((REPO / "knowledge/data/faq.yaml").read_text(encoding="utf-8"))
    replies = yaml.safe_load((REPO / "bot/dialogue/responses.yaml").read_text(encoding="utf-8"))
    texts = [a for e in faq["faq"] for a in e["answer"].values()]
    texts += [t for by_lang in replies.values() for t in by_lang.values()]
    assert [t for t in texts if hardcoded_facts(t, shop)] == []


def test_variables_are_filled_in_the_language() -> None:
    shop = facts(delivery_minutes="30-40")
    values = shop.template_values("pl", format_price)
    text = "Dostawa {delivery_time} min, {delivery_fee}; płatność: {payment_delivery}; {x}"
    assert fill(text, values) == "Dostawa 30–40 min, 9,90 zł; płatność: gotówka lub karta; {x}"
    assert payment_in_text("zapłacę kartą", ("cash", "card")) == "card"
    assert payment_in_text("BLIK", ("cash", "card")) is None


@pytest.mark.parametrize(
    ("area", "pl", "en"),
    [
        (
            {"cities": ["Kraków", "Podgórze"], "postcodes": ["30-"]},
            "Kraków, Podgórze oraz kody pocztowe 30-…",
            "Kraków, Podgórze and postcodes 30-…",
        ),
        ({"cities": ["Kraków"]}, "Kraków", "Kraków"),
        ({"postcodes": ["30-", "31-"]}, "kody pocztowe 30-…, 31-…", "postcodes 30-…, 31-…"),
    ],
)
def test_the_delivery_area_reads_as_a_sentence(area: dict[str, Any], pl: str, en: str) -> None:
    shop = facts(delivery_area=area)
    assert shop.template_values("pl", format_price)["delivery_area"] == pl
    assert shop.template_values("en", format_price)["delivery_area"] == en


@pytest.mark.parametrize(
    ("question", "address", "inside"),
    [
        ("czy dowozicie na Długą 5/2?", "Długą 5/2", True),
        ("do you deliver to Długa 5?", "Długa 5", True),
        ("delivery to Szewska 8, Krakow", "Szewska 8, Krakow", True),
        ("a na ul. Szewską 8, Wieliczka?", "ul. Szewską 8, Wieliczka", False),
        ("do you deliver to 12 Baker Street, Wieliczka?", "12 Baker Street, Wieliczka", False),
    ],
)
def test_a_street_with_its_number_is_judged_as_the_checkout_judges_an_address(
    question: str, address: str, inside: bool
) -> None:
    shop = facts()
    assert shop.delivers_to_place(question) == PlaceAsked(address, address, inside, True)
    assert shop.delivers_to(address) is inside


def test_a_time_or_a_count_after_na_do_is_no_street() -> None:
    shop = facts()
    assert shop.delivers_to_place("dowozicie do godziny 23?") is None
    assert shop.delivers_to_place("a dowozicie na Mokotow?") == PlaceAsked(
        "na Mokotow", "Mokotow", False
    )


@pytest.mark.parametrize(
    ("question", "place"),
    [
        ("hey do u guys deliver to wieliczka", ("to Wieliczka", "Wieliczka", False)),
        ("I want to know if you deliver to Ruczaj", ("to Ruczaj", "Ruczaj", True)),
        ("do ya deliver to Kazimierz?", ("to Kazimierz", "Kazimierz", True)),
        ("Do Nowej Huty dowozicie?", ("do Nowej Huty", "Nowa Huta", True)),
        ("chciałem zapytać, czy dowozicie do Skawiny", ("do Skawiny", "Skawiny", False)),
    ],
)
def test_the_place_asked_about_is_the_one_after_the_delivery_word(
    question: str, place: tuple[str, str, bool]
) -> None:
    """An English "do" before the delivery word is no Polish "do" naming a place."""
    assert facts().delivers_to_place(question) == PlaceAsked(*place)


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("czy dowozicie do krakowa?", "Kraków"),
        ("do u deliver to cracow", "Kraków"),
        ("a na podgorze?", "Podgórze"),
        ("dowozicie na nowa hute?", "Nowa Huta"),
    ],
)
def test_a_place_in_the_area_is_named_by_the_areas_own_name(question: str, name: str) -> None:
    """Not as typed ("krakowa", lower case, without Polish letters), nor by another of its
    names ("Cracow")."""
    place = facts().delivers_to_place(question)
    assert place is not None and (place.name, place.inside) == (name, True), place


def test_other_names_of_a_place_count_but_are_not_listed() -> None:
    shop = facts(delivery_area={"cities": ["Kraków / Cracow", "Podgórze"], "postcodes": []})
    assert shop.template_values("en", format_price)["delivery_area"] == "Kraków, Podgórze"
    assert shop.delivers_to("12 Baker Street, Cracow")
    assert shop.delivers_to("ul. Długa 5, Kraków")
    assert not shop.delivers_to("Rynek 5, Wieliczka")
