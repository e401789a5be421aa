"""The conflicts check reports what an operator can fix: the same example in two intents,
examples of two intents that are nearly the same — not a sentence and its negation."""

from __future__ import annotations

from bot.content.insight import find_conflicts
from intents.data import load_intents_dir
from tests.admin.nlu import shared_engine

EXAMPLES = {
    "order_status": {"en": ["where is my order?", "How long until I can pick it up?"]},
    "delivery_time": {"en": ["how long is delivery?", "how long until i can pick it up"]},
    "affirm": {"pl": ["zgadza się", "tak"], "en": ["definitely", "yes"]},
    "deny": {"pl": ["nie zgadza się", "nie"], "en": ["definitely not", "no"]},
    "opening_hours": {"pl": ["o której otwieracie?", "godziny otwarcia"]},
    "delivery_area": {"pl": ["o ktorej otwieracie", "dowozicie na Kazimierz?"]},
}


def test_the_same_example_in_two_intents_is_a_conflict_a_negation_is_not() -> None:
    found = find_conflicts(EXAMPLES)
    # Case, diacritics and punctuation aside, the same sentence is one sentence.
    assert found["duplicates"] == [
        {
            "lang": "en",
            "examples": [
                {"intent": "delivery_time", "text": "how long until i can pick it up"},
                {"intent": "order_status", "text": "How long until I can pick it up?"},
            ],
        },
        {
            "lang": "pl",
            "examples": [
                {"intent": "delivery_area", "text": "o ktorej otwieracie"},
                {"intent": "opening_hours", "text": "o której otwieracie?"},
            ],
        },
    ]
    # Listed once, as duplicates; "zgadza się" and "nie zgadza się" are opposites.
    assert found["near_duplicates"] == []


def test_the_demo_content_has_no_conflicts() -> None:
    found = find_conflicts(load_intents_dir(), shared_engine().encoder.encode)
    assert found["duplicates"] == []
    assert found["near_duplicates"] == []
