"""What a confirmation at the order summary says besides confirming and paying is the note."""

from __future__ import annotations

import pytest

from bot.dialogue.checkout import note_beside_confirming


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("kartą, domofon 12", "domofon 12"),
        ("card, ring twice please", "ring twice"),
        ("gotówką, proszę zadzwonić pod bramą", "zadzwonić pod bramą"),
        ("BLIK, 3 piętro", "3 piętro"),
        ("potwierdzam, zapłacę kartą", ""),
        ("yes, by card please", ""),
        ("potwierdzam kartą przy odbiorze, dziękuję bardzo", ""),
        ("tak, kartą, a ile to potrwa?", ""),
    ],
)
def test_a_note_is_what_is_said_besides_confirming_and_paying(text: str, note: str) -> None:
    assert note_beside_confirming(text) == note
