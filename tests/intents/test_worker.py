"""The parse worker: a child process parses as the engine would, follows its retrains, and
its loss costs no message (the engine parses itself until a new one is ready)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import intents.engine
from bot.app import create_app
from intents import NluEngine
from tests.conftest import make_settings

TEXTS = [
    "poproszę dwie duże pepperoni",  # entities: quantity, size, product
    "duza margherita prosze",  # Polish without its letters
    "what time do you open on sunday?",
    "czy macie parking?",  # an FAQ entry (or the facilities intent)
    "show me the menu",
    "ktora jest godzina w tokio",  # out of scope
    "   ",  # nothing to read
    "hej, chce na wynos hawajska",
]


@pytest.fixture
def worker_engine(engine: NluEngine) -> Iterator[NluEngine]:
    assert engine.start_worker()
    engine.forget_parses()  # every text below goes to the worker, none answered from memory
    try:
        yield engine
    finally:
        engine.stop_worker()


async def parse_all(engine: NluEngine, texts: list[str]) -> list[dict[str, object]]:
    return list(await asyncio.gather(*(engine.aparse(t) for t in texts)))


async def test_the_worker_parses_as_the_engine_does(worker_engine: NluEngine) -> None:
    worker = worker_engine._worker
    assert worker is not None and worker.pid != os.getpid()
    before = worker.parsed
    in_worker = await parse_all(worker_engine, TEXTS)
    assert worker.parsed - before == len(TEXTS)  # the child read every one of them
    assert in_worker == [worker_engine.parse(t) for t in TEXTS]  # here, in this process
    assert in_worker[0]["intent"]["name"] == "add_to_cart"  # type: ignore[index]


async def test_a_retrain_reaches_the_worker_before_the_next_parse(
    worker_engine: NluEngine,
) -> None:
    original = worker_engine.examples
    edited = {i: {lang: list(t) for lang, t in by.items()} for i, by in original.items()}
    edited["greet"]["pl"].append("klops")
    assert (await worker_engine.aparse("klops"))["intent"]["name"] != "greet"
    try:
        worker_engine.retrain(edited)
        assert worker_engine.last_retrain["mode"] == "update"
        assert (await worker_engine.aparse("klops"))["intent"]["name"] == "greet"
        # Only the re-solved intent's weight columns went: the worker parses as this does.
        assert await parse_all(worker_engine, TEXTS) == [worker_engine.parse(t) for t in TEXTS]
    finally:
        worker_engine.retrain(original)
    assert (await worker_engine.aparse("klops"))["intent"]["name"] != "greet"
    assert worker_engine._worker is not None and worker_engine._worker.parsed >= 3


def test_an_edit_sends_only_what_changed(engine: NluEngine) -> None:
    whole, held = engine.snapshot()
    original = engine.examples
    edited = {i: {lang: list(t) for lang, t in by.items()} for i, by in original.items()}
    edited["greet"]["en"].append("ahoy there matey")
    try:
        engine.retrain(edited)
        patch, _ = engine.snapshot(held)
        assert len(patch) < len(whole) / 5  # one intent's columns, not the whole model
        copy = NluEngine.parser_only(engine.encoder)
        copy.load_snapshot(whole)
        copy.load_snapshot(patch)
        assert [copy.parse(t) for t in [*TEXTS, "ahoy there matey"]] == [
            engine.parse(t) for t in [*TEXTS, "ahoy there matey"]
        ]
    finally:
        engine.retrain(original)


async def test_a_catalog_edit_reaches_the_worker(worker_engine: NluEngine) -> None:
    assert not any(
        e["entity"] == "product" for e in (await worker_engine.aparse("dwie kalzony"))["entities"]
    )
    try:
        worker_engine.set_entities({"calzone": ["calzone", "kalzona", "kalzony"]})
        found = (await worker_engine.aparse("dwie kalzony"))["entities"]
        assert {"entity": "product", "value": "calzone"}.items() <= next(
            e for e in found if e["entity"] == "product"
        ).items()
    finally:
        from knowledge.catalog import Catalog

        worker_engine.set_entities(Catalog.load().entity_synonyms())


async def test_a_killed_worker_costs_no_message_and_is_replaced(
    worker_engine: NluEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = worker_engine.worker_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    # The batch in flight when it died, and the ones after, are parsed here.
    assert await parse_all(worker_engine, TEXTS) == [worker_engine.parse(t) for t in TEXTS]
    assert worker_engine.worker_pid is None
    monkeypatch.setattr(intents.engine, "WORKER_RESTART_SECONDS", 0.0)
    worker_engine.forget_parses()
    await worker_engine.aparse("pokaż koszyk")  # a parse after the pause starts a new one
    starting = worker_engine.worker_starting
    assert starting is not None
    await asyncio.to_thread(starting.join)
    new_pid = worker_engine.worker_pid
    assert new_pid is not None and new_pid != pid
    worker = worker_engine._worker
    assert worker is not None
    worker_engine.forget_parses()
    assert await parse_all(worker_engine, TEXTS) == [worker_engine.parse(t) for t in TEXTS]
    assert worker.parsed == len(TEXTS)


async def test_stopping_the_worker_ends_its_process(engine: NluEngine) -> None:
    assert engine.start_worker()
    pid = engine.worker_pid
    assert pid is not None
    engine.stop_worker()
    assert engine.worker_pid is None
    with pytest.raises(ProcessLookupError):  # exited and reaped
        os.kill(pid, 0)
    assert (await engine.aparse("pokaż koszyk"))["intent"]["name"] == "show_cart"


async def test_the_metrics_say_whether_the_worker_parses(
    engine: NluEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.app.load_interpreter", lambda runtime, progress=None: engine)
    app = create_app(make_settings(tmp_path, nlu_backend="auto"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert engine.start_worker()
            try:
                assert "omnibot_nlu_worker_up 1.0" in (await http.get("/metrics")).text
            finally:
                engine.stop_worker()
            assert "omnibot_nlu_worker_up 0.0" in (await http.get("/metrics")).text
