"""One real NLU engine (real model, no mocks) for the whole test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from intents import NluEngine
from knowledge.catalog import Catalog
from knowledge.faq import FaqIndex
from tests.conftest import NLU_CACHE

os.environ.setdefault("HF_HUB_OFFLINE", "1")

DATA = Path(__file__).resolve().parents[2] / "intents" / "data"


@pytest.fixture(scope="session")
def engine() -> NluEngine:
    return NluEngine.load(
        cache_dir=NLU_CACHE,
        products=Catalog.load().entity_synonyms(),
        faq=FaqIndex.load(),
    )
