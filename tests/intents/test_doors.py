"""A number of a door, a flat, a floor or a gate says where, never how many."""

from __future__ import annotations

import pytest

from intents.doors import door_note
from intents.entities import EntityExtractor


@pytest.mark.parametrize(
    "text",
    ["domofon 3", "Domofon nr 3", "klatka B, mieszkanie 4", "na 3 piętrze", "na 3 pietrze",
     "kod do bramy 1234", "intercom 3", "flat 4, 2nd floor", "door code 1234", "buzzer 12 please"],
)  # fmt: skip
def test_a_door_note_has_no_quantity(text: str) -> None:
    assert door_note(text)
    entities = EntityExtractor({"margherita": ["margherita"]}).extract(text)
    assert not [e for e in entities if e["entity"] == "quantity"], entities


@pytest.mark.parametrize(
    "text", ["ul. Długa 5 m. 3, Kraków", "3 cole i domofon 2", "2 margherity", "code 123456"]
)
def test_an_address_or_an_order_is_no_door_note(text: str) -> None:
    assert not door_note(text)


def test_an_order_beside_a_door_note_keeps_its_quantity() -> None:
    entities = EntityExtractor({"cola": ["cola", "cole"]}).extract("3 cole i domofon 2")
    assert [e["value"] for e in entities if e["entity"] == "quantity"] == [3]
