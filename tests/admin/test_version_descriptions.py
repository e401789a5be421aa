"""A version's English sentence and the code and values the staff pages word it from."""

from __future__ import annotations

import re

import pytest

from bot.content.descriptions import SENTENCES, describe, described

VALUES = {"source": "menu: autumn.zip", "counts": "12 intent, 3 faq", "version": "7"}


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_every_sentence_reads_back_into_its_code_and_values(code: str) -> None:
    params = {k: VALUES.get(k, "pizza_2-go") for k in re.findall(r"\{(\w+)\}", SENTENCES[code])}
    assert described(describe(code, **params)) == (code, params)


def test_a_sentence_no_code_made_has_none() -> None:
    assert described("renamed everything") is None
    assert described("saved product two words") is None
