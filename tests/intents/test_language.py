from __future__ import annotations

import pytest

from intents import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [("poproszę dwie duże margherity", "pl"), ("poprosze dwie duze margherity", "pl"),
     ("gdzie jest moje zamowienie", "pl"), ("dzieki", "pl"), ("two large margheritas please", "en"),
     ("where is my order", "en"), ("cancel", "en"), ("ok", None), ("2", None), ("😀🍕", None),
     ("", None), ("margherita", None),
     ("hi, can I get two medium margheritas delivered to Długa 5, Kraków?", "en"),
     ("one large pepperoni to Świętokrzyska 12 in Łódź please", "en"),
     ("dowozicie na Długą 5 w Krakowie?", "pl"), ("Dowóz na Długą 5", "pl"),
     ("Dziękuję", "pl"), ("Kraków", "pl"), ("two pizzas dla mnie, dziękuję", "pl"),
     ("hi, ok, pizzę", "pl"),
     # Menu names are Italian or English: the Polish words around them, typed without Polish
     # letters, and "i" before a number (Polish "and") tell.
     ("2 pepperoni srednie i 1 sos czosnkowy", "pl"), ("duza margherita i cola", "pl"),
     ("1 margherita i sos czosnkowy", "pl"), ("i want a small margherita", "en"),
     ("2 pepperoni and 1 garlic sauce", "en"), ("capricciosa i cola", None),
     # A first message of a food or drink's name alone, or the menu asked for in chat words.
     ("strawberry lemonade", "en"), ("garlic sauce", "en"), ("menu pls", "en"),
     ("cherry coke", "en"), ("sos czosnkowy", "pl"), ("lemoniada truskawkowa", "pl"),
     ("sok jablkowy", "pl"), ("cola", None), ("menu", None)],
)  # fmt: skip
def test_detect_language(text: str, lang: str | None) -> None:
    assert detect_language(text) == lang
