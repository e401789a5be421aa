"""One real NLU engine (real model, no mocks) for the whole test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from intents import NluEngine
from knowledge.catalog import Catalog
from knowledge.faq import FaqIndex

os.environ.setdefault("HF_HUB_OFFLINE", "1")

DATA = Path(__file__).resolve().parents[2] / "intents" / "data"


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> NluEngine:
    cache = tmp_path_factory.mktemp("nlu-cache")
    return NluEngine.load(
        cache_dir=cache,
        products=Catalog.load().entity_synonyms(),
        faq=FaqIndex.load(),
    )
