"""One real NLU engine for every test that needs it (loading takes 5-20 s, retraining ~1 s).

Each app that uses it brings it back to its own stored content on start (the content
service retrains when the examples differ), so tests do not leak into each other.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import pytest

from bot.settings import Settings
from tests.conftest import NLU_CACHE

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@functools.cache
def shared_engine() -> Any:
    return own_engine()


def own_engine() -> Any:
    """A real NLU engine of the caller's own (the embeddings cache on disk is shared)."""
    from intents import NluEngine
    from knowledge.catalog import Catalog
    from knowledge.faq import FaqIndex

    catalog = Catalog.load()
    return NluEngine.load(
        cache_dir=NLU_CACHE,
        products=catalog.entity_synonyms(),
        categories=catalog.category_synonyms(),
        faq=FaqIndex.load(),
        default_language="pl",
        backend=Settings(nlu_backend="auto").embedding_backend,
    )


def use_shared_engine(monkeypatch: pytest.MonkeyPatch, engine: Any = None) -> None:
    """Apps created from now on get the shared engine (or `engine`) instead of loading one."""
    chosen = engine if engine is not None else shared_engine()
    monkeypatch.setattr("bot.app.load_interpreter", lambda runtime, progress=None: chosen)
