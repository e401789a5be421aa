"""Wishes said with an item, read out of the text alone (`bot.domain.item_wishes`)."""

from __future__ import annotations

import pytest

from bot.domain.item_wishes import wishes_in


@pytest.mark.parametrize(
    ("text", "wishes"),
    [
        ("duza margherita bez bazylii", ["bez bazylii"]),
        ("duża wegetariańska bez cebuli i oliwek, proszę", ["bez cebuli i oliwek"]),
        ("bez czerwonej cebuli na wynos", ["bez czerwonej cebuli"]),
        ("a large pepperoni without onions please", ["without onions"]),
        ("hold the olives", ["hold the olives"]),
        ("no onions and no olives", ["no onions", "no olives"]),
        ("cut into 8 slices please, well done", ["cut into 8 slices", "well done"]),
        ("hawajska dobrze wypieczona i pokrojona na 8", ["dobrze wypieczona", "pokrojona na 8"]),
        ("bez cebuli i", ["bez cebuli"]),
        # A trigger misspelt by a letter; which one of several it is for.
        ("a large pepperoni witout onions", ["witout onions"]),
        ("2 duze margherity, jedna bez bazylii", ["jedna bez bazylii"]),
        ("two large pepperonis, one of them without onions", ["one of them without onions"]),
        # Nothing wished: a way, a note, a drink's kind, a sauce, an answer.
        ("bez dostawy", []),
        ("without delivery please", []),
        ("bez uwag", []),
        ("cola bez cukru", []),
        ("jednak bez sosu", []),
        ("no thanks", []),
        ("no, a large one", []),
    ],
)
def test_wishes_are_what_is_said_to_be_done_to_an_item(text: str, wishes: list[str]) -> None:
    assert [w.text for w in wishes_in(text)] == wishes


@pytest.mark.parametrize(
    ("text", "priced"),
    [
        ("margherita z podwójnym serem", [True]),
        ("with extra cheese", [True]),
        ("z dodatkowymi pieczarkami i bez cebuli", [True, False]),
        ("bez bazylii", [False]),
    ],
)
def test_something_added_may_cost_more(text: str, priced: list[bool]) -> None:
    assert [w.priced for w in wishes_in(text)] == priced


def test_a_product_after_without_is_declined_not_wished_away() -> None:
    # "coli" is the product's span: the message declines the cola.
    assert wishes_in("duza diavola, bez coli", [(16, 20)]) == []
