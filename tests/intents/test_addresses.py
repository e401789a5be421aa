"""A street with its number says where, never what or how many: "ul. Tomasza 20" is no tomato
sauce and no twenty of anything, while the items beside it are still ordered."""

from __future__ import annotations

import pytest

from intents.addresses import address_spans, street_spans
from intents.entities import EntityExtractor
from knowledge.catalog import Catalog


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    return EntityExtractor(Catalog.load().entity_synonyms(), lemmas=False)


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("poproszę margheritę dużą, adres ul. Tomasza 20", "ul. Tomasza 20"),
        ("ul Tomasza 20, Kraków", "ul Tomasza 20"),
        ("adres: Tomasza 20", "Tomasza 20"),
        ("a large margherita, my address is 12 Baker Street, Krakow", "12 Baker Street"),
        ("2 duże pepperoni na al. Jana Pawła II 5/3", "al. Jana Pawła II 5/3"),
        # A street whose name starts with a short word, after the address's word; a titled
        # street after it is one street, not two.
        ("duża margherita, adres: Na Zjeździe 11", "Na Zjeździe 11"),
        ("mój adres to Pod Fortem 3", "Pod Fortem 3"),
        ("adres: ul. Długa 5", "ul. Długa 5"),
        ("address: 5 Baker St", "5 Baker St"),
    ],
)
def test_a_street_is_found_with_its_number(text: str, street: str) -> None:
    assert [text[s:e] for s, e in street_spans(text)] == [street]


@pytest.mark.parametrize(
    ("text", "products", "quantities"),
    [
        ("poproszę margheritę dużą, adres ul. Tomasza 20", ["margherita"], []),
        ("2 pepperoni, ul. Tomasza 20 i 3 cole", ["pepperoni", "cola"], [2, 3]),
        ("a large margherita, my address is 12 Baker Street", ["margherita"], []),
        ("2 pepperoni srednie i 1 sos pomidorowy", ["pepperoni", "tomato-sauce"], [2, 1]),
        # No street after the word: what follows is the order.
        ("na stary adres i 2 cole", ["cola"], [2]),
        ("adres jak ostatnio, 2 pepperoni", ["pepperoni"], [2]),
    ],
)
def test_a_street_names_no_product_and_no_quantity(
    extractor: EntityExtractor, text: str, products: list[str], quantities: list[int]
) -> None:
    entities = extractor.extract(text)
    assert [e["value"] for e in entities if e["entity"] == "product"] == products
    assert [e["value"] for e in entities if e["entity"] == "quantity"] == quantities


def test_the_place_after_the_street_is_the_address_too() -> None:
    text = "a large margherita, my address is 12 Baker Street, Krakow"
    assert [text[s:e] for s, e in address_spans(text)] == ["12 Baker Street, Krakow"]
