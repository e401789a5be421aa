"""One real NLU engine for every test that needs it (loading takes 5-20 s, retraining ~1 s).

Each app that uses it brings it back to its own stored content on start (the content
service retrains when the examples differ), so tests do not leak into each other.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@functools.cache
def shared_engine() -> Any:
    from intents import NluEngine
    from knowledge.catalog import Catalog
    from knowledge.faq import FaqIndex

    catalog = Catalog.load()
    cache = Path(os.environ.get("OMNIBOT_TEST_NLU_CACHE") or tempfile.mkdtemp(prefix="nlu-"))
    return NluEngine.load(
        cache_dir=cache,
        products=catalog.entity_synonyms(),
        categories=catalog.category_synonyms(),
        faq=FaqIndex.load(),
        default_language="pl",
        backend=Settings(nlu_backend="auto").embedding_backend,
    )


def use_shared_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps created from now on get the shared engine instead of loading their own."""
    monkeypatch.setattr("bot.app.load_interpreter", lambda runtime, progress=None: shared_engine())
