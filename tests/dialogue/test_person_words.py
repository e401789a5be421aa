"""The words that make "talk to …" a request for a person come from the lexicon."""

from __future__ import annotations

import yaml

from bot.dialogue.handing_over import asks_for_person
from intents.features import SYNONYMS
from intents.text import fold


def test_talking_to_any_word_of_the_lexicons_person_group_asks_for_a_person() -> None:
    """The words come from `intents/lexicon/synonyms.yaml` (one place): a word added there
    is a person asked for here too; talking about something else is not."""
    person = yaml.safe_load(SYNONYMS.read_text(encoding="utf-8"))["person"]
    assert len(person) > 10
    for word in person:
        assert asks_for_person(fold(f"czy mogę porozmawiać z {word}")), word
        assert asks_for_person(fold(f"can I talk to a {word} please")), word
    for text in ("czy moge porozmawiac z kims z obslugi", "can i chat with your team"):
        assert asks_for_person(text), text
    for text in ("chce porozmawiac o pizzy", "polacz konto", "talk me through the menu"):
        assert not asks_for_person(text), text
