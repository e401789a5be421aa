"""Retraining: an edit updates the model in place of a refit; parsing never stops meanwhile."""

from __future__ import annotations

import asyncio
import threading

from intents import NluEngine
from intents.data import Examples

from .conftest import DATA

VERBS = "show find book cancel change check pay send open close".split()
THINGS = ("ticket flight hotel table invoice parcel account card loan alarm song recipe "
          "taxi meeting reminder").split()  # fmt: skip


def large_content(n_intents: int = 150, per_intent: int = 100) -> Examples:
    """A 15k-example / 150-intent content set (synthetic but distinct per intent)."""
    out: Examples = {}
    for k in range(n_intents):
        verb, thing = VERBS[k % len(VERBS)], THINGS[k // len(VERBS) % len(THINGS)]
        out[f"intent_{k}"] = {
            "en": [f"{verb} my {thing} {k} please {j}" for j in range(per_intent)],
        }
    return out


def test_a_single_new_example_updates_the_model(engine: NluEngine) -> None:
    original = engine.examples
    edited = {i: {lang: list(t) for lang, t in by.items()} for i, by in original.items()}
    edited["greet"]["pl"].append("klops")
    assert engine.parse("klops")["intent"]["name"] != "greet"
    try:
        engine.retrain(edited)
        assert engine.last_retrain["mode"] == "update"
        assert engine.parse("klops")["intent"]["name"] == "greet"
        assert engine.parse("poproszę dwie duże margherity")["intent"]["name"] == "add_to_cart"
    finally:
        engine.retrain(original)
    assert engine.parse("klops")["intent"]["name"] != "greet"


async def test_messages_are_answered_while_a_15k_set_retrains(engine: NluEngine) -> None:
    original = engine.examples
    old_intents = set(engine.intents)
    big = large_content()
    assert sum(len(t) for by in big.values() for t in by.values()) == 15_000
    done = threading.Event()
    errors: list[BaseException] = []

    def retrain() -> None:
        try:
            engine.retrain(big)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=retrain)
    worker.start()
    texts = [r for r in (DATA / "heldout_en.jsonl").read_text().splitlines()][:40]
    answered = 0
    try:
        while not done.is_set() or answered < 20:
            for line in texts:
                # Each time another text: every one is parsed (none answered from memory).
                result = await engine.aparse(f"{line[10:60]} {answered}")
                name = result["intent"]["name"]
                assert name in old_intents | set(big) | {"nlu_fallback", "faq"}, name
                answered += 1
            await asyncio.sleep(0)
        worker.join()
        assert not errors, errors
        assert engine.last_retrain["mode"] == "full" and engine.last_retrain["examples"] == 15_000
        asked = f"{VERBS[40 % len(VERBS)]} my {THINGS[40 // len(VERBS) % len(THINGS)]} 40 please"
        assert engine.parse(asked)["intent"]["name"] == "intent_40"
        # An operator's edit at this size updates the model, and the new example is learnt
        # although it is one among 15,001.
        assert engine.parse("zorblat frumple")["intent"]["name"] != "intent_7"
        edited = {i: {lang: list(t) for lang, t in by.items()} for i, by in big.items()}
        edited["intent_7"]["en"].append("zorblat frumple")
        engine.retrain(edited)
        assert engine.last_retrain["mode"] == "update"
        assert engine.parse("zorblat frumple")["intent"]["name"] == "intent_7"
        assert engine.parse(asked)["intent"]["name"] == "intent_40"
    finally:
        engine.retrain(original)
    assert engine.parse("poproszę dwie duże margherity")["intent"]["name"] == "add_to_cart"
