from __future__ import annotations

import pytest

from intents import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [("poproszę dwie duże margherity", "pl"), ("poprosze dwie duze margherity", "pl"),
     ("gdzie jest moje zamowienie", "pl"), ("dzieki", "pl"), ("two large margheritas please", "en"),
     ("where is my order", "en"), ("cancel", "en"), ("ok", None), ("2", None), ("😀🍕", None),
     ("", None), ("margherita", None)],
)  # fmt: skip
def test_detect_language(text: str, lang: str | None) -> None:
    assert detect_language(text) == lang
