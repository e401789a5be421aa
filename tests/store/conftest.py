"""The store's tests: sessions on a freshly migrated database of each backend."""

from __future__ import annotations

import pytest

from bot.store.db import create_engine, session_factory, upgrade_database


@pytest.fixture
async def sessions(database_url: str):  # type: ignore[no-untyped-def]
    await upgrade_database(database_url)
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()
