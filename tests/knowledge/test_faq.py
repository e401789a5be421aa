"""FAQ answers found from real customer phrasings, with the real encoder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from knowledge.catalog import Catalog, format_price
from knowledge.faq import FaqError, FaqIndex
from knowledge.shop import fill
from tests.conftest import NLU_CACHE

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def faq() -> FaqIndex:
    """The demo FAQ placed in a real NLU engine's feature space (as the bot uses it)."""
    from intents import NluEngine

    engine = NluEngine.load(cache_dir=NLU_CACHE, faq=FaqIndex.load())
    assert engine.faq is not None
    return engine.faq


def test_default_faq_has_30_bilingual_entries() -> None:
    index = FaqIndex.load()
    assert len(index.entries) >= 30
    for entry in index.entries:
        assert entry.questions.get("pl") and entry.questions.get("en"), entry.id
        assert entry.answer.get("pl") and entry.answer.get("en"), entry.id


def test_answers_agree_with_the_catalog() -> None:
    """Answers state the shop's facts through variables, filled from the catalog."""
    facts = Catalog.load().facts
    fee = FaqIndex.load().get("delivery-fee")
    assert fee is not None
    answer = fill(fee.answer["pl"], facts.template_values("pl", format_price))
    assert format_price(facts.delivery_fee, "pl") in answer
    assert format_price(facts.free_delivery_from, "pl") in answer
    minimum = FaqIndex.load().get("minimum-order")
    assert minimum is not None
    answer = fill(minimum.answer["en"], facts.template_values("en", format_price))
    assert format_price(facts.min_order_value, "en") in answer


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [("czy macie pizze bez glutenu?", "gluten-free"), ("do you do vegan pizzas?", "vegan"),
     ("czy moge dostac fakture na firme", "invoice"),
     ("how much do you charge for delivery", "delivery-fee"),
     ("o ktorej otwieracie w sobote?", "opening-hours"), ("is there a loyalty card?", "loyalty"),
     ("czy dowozicie do wieliczki?", "outside-krakow"), ("can I tip the driver", "tips")],
)  # fmt: skip
def test_customer_phrasings_find_the_right_answer(faq: FaqIndex, text: str, entry_id: str) -> None:
    entry, score = faq.search(text, "pl")
    assert entry is not None and entry.id == entry_id
    assert score >= faq.threshold
    answer = faq.answer(text, "en")
    assert answer is not None and answer["id"] == entry_id and set(answer["answer"]) == {"pl", "en"}


@pytest.mark.parametrize("text", ["ok", "tell me a joke", "poproszę dwie margherity", ""])
def test_unrelated_messages_get_no_answer(faq: FaqIndex, text: str) -> None:
    assert faq.answer(text, "pl") is None


def test_search_before_fit_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="fit"):
        FaqIndex.load().search("hours?")


def test_invalid_faq_file(tmp_path: Path) -> None:
    bad = tmp_path / "faq.yaml"
    bad.write_text("faq:\n  - id: x\n    questions: {}\n", encoding="utf-8")
    with pytest.raises(FaqError, match="x"):
        FaqIndex.load(bad)
