"""Held-out customer messages (typos, no diacritics) must be understood in both languages."""

from __future__ import annotations

import pytest

from intents import NluEngine
from intents.data import read_jsonl

from .conftest import DATA


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_heldout_accuracy_at_least_92_percent(engine: NluEngine, lang: str) -> None:
    rows = read_jsonl(DATA / f"heldout_{lang}.jsonl")
    in_scope = [r for r in rows if r["intent"] != "oos"]
    assert len(in_scope) >= 150
    results = engine.parse_many([r["text"] for r in in_scope])
    wrong = [
        (r["text"], r["intent"], p["intent"]["name"])
        for r, p in zip(in_scope, results, strict=True)
        if p["intent"]["name"] != r["intent"]
    ]
    accuracy = 1 - len(wrong) / len(in_scope)
    assert accuracy >= 0.92, f"{lang} held-out accuracy {accuracy:.3f}; errors: {wrong}"


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_heldout_out_of_scope_is_mostly_caught(engine: NluEngine, lang: str) -> None:
    rows = [r for r in read_jsonl(DATA / f"heldout_{lang}.jsonl") if r["intent"] == "oos"]
    caught = [engine.parse(r["text"])["intent"]["name"] == "nlu_fallback" for r in rows]
    assert sum(caught) / len(caught) >= 0.7


def test_heldout_sets_are_distinct_from_training(engine: NluEngine) -> None:
    training = {
        t.lower().strip(" ?!.")
        for by_lang in engine.examples.values()
        for texts in by_lang.values()
        for t in texts
    }
    for lang in ("pl", "en"):
        for row in read_jsonl(DATA / f"heldout_{lang}.jsonl"):
            assert row["text"].lower().strip(" ?!.") not in training, row["text"]
