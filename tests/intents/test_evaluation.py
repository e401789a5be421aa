from __future__ import annotations

import json
from pathlib import Path

from intents.evaluation import evaluate, format_report

TRAIN = {
    "greet": ["hi", "hello", "hey there", "good morning", "cześć", "dzień dobry"],
    "order": ["I want a pizza", "one margherita please", "poproszę pizzę", "zamawiam pepperoni",
              "can I get a pepperoni", "dwie margherity"],
    "hours": ["when are you open", "opening hours", "o której otwieracie", "godziny otwarcia",
              "are you open on sunday", "czy jesteście otwarci w niedzielę"],
    "oos": ["what's the weather", "tell me a joke", "jaka jest pogoda", "opowiedz kawał"],
}  # fmt: skip
TEST = [("hello!", "greet"), ("siema, dzień dobry", "greet"), ("a pepperoni please", "order"),
        ("poproszę margheritę", "order"), ("what time do you open?", "hours"),
        ("do której jesteście otwarci", "hours"), ("who won the election?", "oos"),
        ("kto wygrał wybory?", "oos")]  # fmt: skip


def write(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text(
        "\n".join(json.dumps({"text": t, "intent": i}, ensure_ascii=False) for t, i in rows),
        encoding="utf-8",
    )
    return path


def test_evaluate_tiny_jsonl(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    train = write(tmp_path / "train.jsonl", [(t, i) for i, ts in TRAIN.items() for t in ts])
    test = write(tmp_path / "test.jsonl", TEST)
    plot = tmp_path / "confusion.png"
    result = evaluate(train, test, plot=plot, progress=False, encoder=engine.encoder)
    assert result["n_train"] == 22 and result["n_test"] == 8
    assert result["accuracy"] >= 0.75
    assert 0 <= result["macro_f1"] <= 1
    assert result["oos_recall"] is not None and result["oos_precision"] is not None
    assert result["train_seconds"] < 5
    assert isinstance(result["confused_pairs"], list)
    assert plot.read_bytes()[:4] == b"\x89PNG"
    report = format_report(result)
    assert "accuracy" in report and "oos recall" in report
    json.dumps(result)  # --json prints it as is


def test_without_oos_rows_oos_metrics_are_none(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    train = write(tmp_path / "train.jsonl", [(t, i) for i, ts in TRAIN.items() for t in ts])
    test = write(tmp_path / "test.jsonl", [r for r in TEST if r[1] != "oos"])
    result = evaluate(train, test, progress=False, encoder=engine.encoder)
    assert result["oos_recall"] is None and result["oos_precision"] is None
    assert "n/a" in format_report(result)
