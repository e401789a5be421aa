"""The parse result a dialogue (and POST /api/nlu/parse) relies on."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from intents import NluEngine
from knowledge.faq import DEFAULT_FAQ, FaqEntry, FaqIndex

INTENTS_THE_DIALOGUE_USES = set(
    "greet goodbye thanks help affirm deny browse_menu product_info allergens add_to_cart "
    "remove_from_cart change_item show_cart clear_cart checkout order_status cancel_order "
    "reorder rate_order opening_hours delivery_area delivery_time payment_methods prices "
    "complaint human_handoff link_channels change_language".split()
)


def test_every_dialogue_intent_is_trained_in_both_languages(engine: NluEngine) -> None:
    assert INTENTS_THE_DIALOGUE_USES <= set(engine.intents)
    for intent in INTENTS_THE_DIALOGUE_USES:
        assert len(engine.examples[intent]["pl"]) >= 15, intent
        assert len(engine.examples[intent]["en"]) >= 15, intent


def test_result_is_rasa_compatible(engine: NluEngine) -> None:
    r = engine.parse("poproszę dwie duże margherity i colę")
    assert set(r) >= {"text", "intent", "intent_ranking", "entities", "lang", "faq"}
    assert r["text"] == "poproszę dwie duże margherity i colę"
    assert r["intent"]["name"] == "add_to_cart"
    assert 0.5 < r["intent"]["confidence"] <= 1
    assert r["lang"] == "pl"
    ranking = r["intent_ranking"]
    assert 1 < len(ranking) <= 10
    assert ranking[0]["name"] == "add_to_cart"
    assert [x["confidence"] for x in ranking] == sorted(
        (x["confidence"] for x in ranking), reverse=True
    )
    for e in r["entities"]:
        assert set(e) == {"entity", "value", "start", "end", "confidence", "group"}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("gdzie jest moje zamówienie PZ-48213?", "order_status"),
        ("chce gadac z czlowiekiem", "human_handoff"),
        ("I want to cancel my order", "cancel_order"),
        ("usuń colę z koszyka", "remove_from_cart"),
        ("switch to english please", "change_language"),
        ("połącz profil", "link_channels"),  # a profile is an account (lexicon)
        ("connect my profile", "link_channels"),
    ],
)
def test_typical_messages(engine: NluEngine, text: str, intent: str) -> None:
    assert engine.parse(text)["intent"]["name"] == intent


@pytest.mark.parametrize(
    "text",
    ["jaka będzie jutro pogoda w Zakopanem?", "who won the football world cup in 1998?",
     "napisz mi wypracowanie o Mickiewiczu"],
)  # fmt: skip
def test_out_of_scope_becomes_nlu_fallback(engine: NluEngine, text: str) -> None:
    r = engine.parse(text)
    assert r["intent"]["name"] == "nlu_fallback"
    assert r["intent_ranking"][0]["name"] == "nlu_fallback"


def test_language_is_detected_and_can_be_forced(engine: NluEngine) -> None:
    assert engine.parse("where is my order?")["lang"] == "en"
    assert engine.parse("gdzie jest moje zamowienie?")["lang"] == "pl"
    assert engine.parse("where is my order?", lang="pl")["lang"] == "pl"


def test_faq_answer_wins_over_intents_when_it_fits_better(engine: NluEngine) -> None:
    r = engine.parse("czy macie pizzę wegańską?")
    assert r["intent"]["name"] == "faq"
    assert r["faq"]["id"] == "vegan"
    assert "mozzarelli" in r["faq"]["answer"]["pl"]
    assert r["intent_ranking"][0]["name"] == "faq"


def test_faq_is_attached_when_the_intent_is_the_same_topic(engine: NluEngine) -> None:
    r = engine.parse("how long does delivery take?")
    assert r["intent"]["name"] == "delivery_time"
    assert r["faq"] is not None and r["faq"]["id"] == "delivery-time"


def test_a_stored_faq_question_is_answered_even_when_an_intent_looks_confident(
    engine: NluEngine,
) -> None:
    # "Czy można ..." leans towards payment_methods ("Czy można płacić kartą?"); an operator
    # who stores the very question expects its answer, however it is typed.
    before = engine.parse("Czy można przyjść z psem?")
    assert (before["faq"] or {}).get("id") != "dogs"
    raw = yaml.safe_load(DEFAULT_FAQ.read_text(encoding="utf-8"))
    raw["faq"].append({
        "id": "dogs",
        "questions": {"pl": ["Czy można przyjść z psem?"], "en": ["Can I bring my dog?"]},
        "answer": {"pl": "Tak, psy są mile widziane.", "en": "Yes, dogs are welcome."},
    })  # fmt: skip
    original = engine.faq
    engine.set_faq(FaqIndex.from_dict(raw))
    try:
        for text in ("Czy można przyjść z psem?", "czy mozna przyjsc z psem", "CAN I BRING MY DOG"):
            r = engine.parse(text)
            assert r["intent"] == {"name": "faq", "confidence": 1.0}, text
            assert r["faq"]["id"] == "dogs"
        assert (engine.parse("Czy można płacić kartą?")["faq"] or {}).get("id") != "dogs"
    finally:
        engine.set_faq(original)


def test_small_talk_does_not_pull_an_faq(engine: NluEngine) -> None:
    assert engine.parse("ok")["faq"] is None
    assert engine.parse("jaka jutro pogoda")["intent"]["name"] == "nlu_fallback"


@pytest.mark.parametrize("text", ["", "   \n\t ", "😀😀🍕", "\x00\x07\x1b[31m", "?!...", None])
def test_bad_input_is_a_fallback_with_zero_confidence(engine: NluEngine, text: str) -> None:
    r = engine.parse(text)  # type: ignore[arg-type]
    assert r["intent"] == {"name": "nlu_fallback", "confidence": 0.0}
    assert r["entities"] == [] and r["faq"] is None
    assert r["lang"] in ("pl", "en")


def test_100_kb_message_is_parsed_quickly(engine: NluEngine) -> None:
    text = "poproszę margheritę " + "bla " * 25_000
    r = engine.parse(text)
    assert r["text"] == text  # the caller gets its text back, the model saw a cut copy
    assert r["intent"]["name"] in [*engine.intents, "nlu_fallback", "faq"]
    assert any(e["value"] == "margherita" for e in r["entities"])


def test_mixed_languages_and_control_characters(engine: NluEngine) -> None:
    r = engine.parse("hi, poproszę two large pepperoni\x00 please")
    assert r["intent"]["name"] == "add_to_cart"
    values = {e["entity"]: e["value"] for e in r["entities"]}
    assert values == {"quantity": 2, "size": "large", "product": "pepperoni"}
    start, end = next((e["start"], e["end"]) for e in r["entities"] if e["entity"] == "product")
    assert r["text"][start:end] == "pepperoni"


async def test_aparse_runs_off_the_event_loop(engine: NluEngine) -> None:
    results = await asyncio.gather(
        engine.aparse("pokaż koszyk"), engine.aparse("show me the menu"), engine.aparse("")
    )
    assert [r["intent"]["name"] for r in results] == ["show_cart", "browse_menu", "nlu_fallback"]


def test_retrain_adds_an_intent_and_swaps_atomically(engine: NluEngine) -> None:
    original = engine.examples
    extra = {
        **original,
        "book_table": {
            "pl": ["chcę zarezerwować stolik", "rezerwacja stolika na sobotę", "stolik dla 4 osób",
                   "czy mogę zarezerwować miejsce?", "zarezerwuj stolik na 19"],
            "en": ["I want to book a table", "table for four on saturday", "can I reserve a table?",
                   "book a table for 7 pm", "reservation for two please"],
        },
    }  # fmt: skip
    try:
        engine.retrain(extra)  # how long it takes is benchmarks/nlu_bench.py's business
        assert engine.parse("zarezerwuj stolik na jutro")["intent"]["name"] == "book_table"
        assert engine.parse("pokaż koszyk")["intent"]["name"] == "show_cart"
    finally:
        engine.retrain(original)
    assert "book_table" not in engine.intents


async def test_a_text_parsed_again_is_answered_from_memory(engine: NluEngine) -> None:
    engine.forget_parses()
    first = await engine.aparse("poproszę trzy duże hawajskie")
    batches, hits = engine.batches, engine.cache_hits
    again = await engine.aparse("poproszę trzy duże hawajskie")
    assert engine.batches == batches and engine.cache_hits == hits + 1  # not parsed again
    assert again == first == engine.parse("poproszę trzy duże hawajskie")
    again["entities"].clear()  # a caller's copy is its own
    assert (await engine.aparse("poproszę trzy duże hawajskie")) == first
    # Another language hint is another parse.
    await engine.aparse("poproszę trzy duże hawajskie", "en")
    assert engine.batches[1] == batches[1] + 1
    engine.forget_parses()  # then every text is parsed afresh
    await engine.aparse("poproszę trzy duże hawajskie")
    assert engine.batches[1] == batches[1] + 2


async def test_an_faq_edit_is_read_by_the_next_parse_of_a_remembered_text(
    engine: NluEngine,
) -> None:
    text = "czy można przyjść z psem do lokalu?"
    before = await engine.aparse(text)
    assert (before["faq"] or {}).get("id") != "dogs"
    faq = engine.faq
    assert faq is not None
    entry = FaqEntry(
        id="dogs",
        questions={"pl": ["czy można przyjść z psem do lokalu?"], "en": ["are dogs allowed?"]},
        answer={"pl": "Tak, psy są mile widziane.", "en": "Yes, dogs are welcome."},
    )
    try:
        engine.set_faq(FaqIndex([*faq.entries, entry], threshold=faq.threshold))
        assert ((await engine.aparse(text))["faq"] or {}).get("id") == "dogs"
    finally:
        engine.set_faq(faq)
    assert ((await engine.aparse(text))["faq"] or {}).get("id") != "dogs"
