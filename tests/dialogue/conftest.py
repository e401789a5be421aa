"""The real pipeline (Core.receive + a collecting channel) with the real NLU, loaded once.

Until `intents.NluEngine` exists the keyword interpreter stands in.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from bot.app import Runtime, build_runtime, start_runtime, stop_runtime
from bot.core import Core
from bot.dialogue.keywords import KeywordInterpreter
from knowledge.catalog import Catalog
from tests.bot.channel import CollectingChannel
from tests.conftest import NLU_CACHE, make_settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def interpreter() -> Any:
    catalog = Catalog.load()
    try:
        from intents import NluEngine
    except ImportError:
        return KeywordInterpreter(catalog.entity_synonyms())
    from knowledge.faq import FaqIndex

    return NluEngine.load(
        cache_dir=NLU_CACHE, products=catalog.entity_synonyms(), faq=FaqIndex.load()
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dialogue_runtime(
    tmp_path_factory: pytest.TempPathFactory, interpreter: Any
) -> AsyncIterator[Runtime]:
    """One runtime per test module, built as the server builds it (operator content too)."""
    runtime = build_runtime(make_settings(tmp_path_factory.mktemp("dialogue")))
    runtime.core.register_channel(CollectingChannel("test"))
    await start_runtime(runtime)
    runtime.core.interpreter = interpreter
    yield runtime
    await stop_runtime(runtime)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dialogue_core(dialogue_runtime: Runtime) -> Core:
    """The runtime's core; every story talks as its own customer (address)."""
    return dialogue_runtime.core
