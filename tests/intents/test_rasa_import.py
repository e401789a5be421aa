from __future__ import annotations

from pathlib import Path

import pytest

from intents.data import IntentDataError, load_intents_dir
from intents.rasa_import import (
    RasaNluError,
    import_rasa_nlu,
    parse_example,
    write_intent_file,
)

NLU_YML = """
version: "3.1"
nlu:
- intent: order_pizza
  examples: |
    - I want a [margherita](product)
    - [two]{"entity": "quantity", "value": 2} [large](size) [pepperoni](product:pepperoni) please
    - just a pizza
- intent: greet
  examples: |
    - hello
    - hi there
- synonym: margherita
  examples: |
    - margarita
    - marg
- lookup: product
  examples: |
    - hawaii
"""


def test_annotations_become_entities_with_offsets() -> None:
    text, ents = parse_example('[two]{"entity": "quantity", "value": 2} [large](size) pizzas')
    assert text == "two large pizzas"
    assert ents == [
        {"entity": "quantity", "value": 2, "start": 0, "end": 3},
        {"entity": "size", "value": "large", "start": 4, "end": 9},
    ]


def test_import_intents_synonyms_and_lookups(tmp_path: Path) -> None:
    nlu = import_rasa_nlu(NLU_YML)
    assert nlu.intents == ["order_pizza", "greet"]
    first = nlu.examples[0]
    assert first.text == "I want a margherita"
    assert first.entities == [{"entity": "product", "value": "margherita", "start": 9, "end": 19}]
    assert nlu.synonyms == {"margherita": ["margarita", "marg"]}
    assert nlu.lookups == {"product": ["hawaii"]}
    assert nlu.to_examples()["greet"] == {"en": ["hello", "hi there"]}

    out = write_intent_file(nlu, tmp_path / "rasa.yaml")
    loaded = load_intents_dir(tmp_path)
    assert loaded["order_pizza"]["en"][1] == "two large pepperoni please"
    assert "entities" in out.read_text(encoding="utf-8")


def test_imported_data_trains_the_engine(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    original = engine.examples
    try:
        engine.retrain(import_rasa_nlu(NLU_YML).to_examples())
        assert engine.parse("I want a hawaii pizza")["intent"]["name"] == "order_pizza"
    finally:
        engine.retrain(original)


@pytest.mark.parametrize(
    "bad", ["nlu: 3", "just text", "nlu:\n- intent: x\n  examples: ''", "a: [b"]
)
def test_invalid_files_give_a_clear_error(bad: str) -> None:
    with pytest.raises(IntentDataError):
        import_rasa_nlu(bad)


def test_a_broken_annotation_is_refused_with_its_line_and_intent() -> None:
    broken = NLU_YML.replace("- hi there", '- hi [there]{"entity": oops}')
    with pytest.raises(RasaNluError) as refused:
        import_rasa_nlu(broken)
    assert (refused.value.problem, refused.value.line, refused.value.intent) == (
        "bad_annotation",
        12,  # NLU_YML starts with an empty line
        "greet",
    )
    assert str(refused.value).startswith("line 12: intent greet: bad entity annotation")
