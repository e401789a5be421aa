"""Micro-batching: messages parsed at the same moment share one encoder call."""

from __future__ import annotations

import asyncio
import threading

import pytest

from intents import NluEngine
from intents.batching import MicroBatcher


def test_items_arriving_together_run_as_one_batch() -> None:
    seen: list[list[int]] = []
    gate = threading.Event()
    running = threading.Event()

    def run(items: list[int]) -> list[int]:
        running.set()
        gate.wait(10)
        seen.append(items)
        return [i * 2 for i in items]

    batcher: MicroBatcher[int, int] = MicroBatcher(run, window=0.0, max_batch=64)
    first = batcher.submit(0)  # taken at once; the others queue while it runs
    assert running.wait(10)
    rest = [batcher.submit(i) for i in range(1, 9)]
    gate.set()
    assert first.result(10) == 0
    assert [f.result(10) for f in rest] == [i * 2 for i in range(1, 9)]
    assert seen == [[0], list(range(1, 9))]
    batcher.close()


def test_a_failing_batch_fails_each_caller_with_the_error() -> None:
    def run(items: list[str]) -> list[str]:
        raise ValueError("encoder gone")

    batcher: MicroBatcher[str, str] = MicroBatcher(run, window=0.0)
    with pytest.raises(ValueError, match="encoder gone"):
        batcher.submit("x").result(10)
    batcher.close()


async def test_concurrent_parses_are_batched_and_match_single_parses(engine: NluEngine) -> None:
    texts = ["poproszę dwie duże margherity", "where is my order", "cześć", "jaka jutro pogoda",
             "ile kosztuje dostawa?", "show me the menu", "", "usuń colę"]  # fmt: skip
    engine.forget_parses()  # none of them answered from memory
    batches_before, items_before = engine.batches
    window = engine._batcher.window
    engine._batcher.window = 0.5  # wide enough that scheduling cannot split the burst
    try:
        results = await asyncio.gather(*(engine.aparse(t) for t in texts))
    finally:
        engine._batcher.window = window
    batches, items = engine.batches
    assert items - items_before == len(texts)
    assert batches - batches_before == 1
    for text, result in zip(texts, results, strict=True):
        alone = engine.parse(text)
        assert result["intent"]["name"] == alone["intent"]["name"], text
        assert result["entities"] == alone["entities"]
        assert (result["faq"] or {}).get("id") == (alone["faq"] or {}).get("id")
