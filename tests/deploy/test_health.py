"""Liveness and readiness as an orchestrator and a load balancer see them."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.conftest import PG_ADMIN_DSN, make_settings, postgres_database, running_app


async def test_ready_when_everything_answers_and_not_when_the_database_goes(
    tmp_path: Path, redis_url: str
) -> None:
    async with postgres_database() as database_url:
        settings = make_settings(tmp_path, database_url=database_url, redis_url=redis_url)
        async with running_app(settings) as (_, client):
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {
                "database": "ok",
                "model": "ok",
                "started": "ok",
                "redis": "ok",
            }
            # The database disappears (an outage): not ready, but alive — an orchestrator
            # must not restart every instance because the database is down.
            admin = await asyncpg.connect(PG_ADMIN_DSN)
            name = database_url.rsplit("/", 1)[1]
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await admin.close()
            down = await client.get("/readyz")
            assert down.status_code == 503
            assert down.json()["checks"]["database"].startswith("failed")
            assert down.json()["checks"]["redis"] == "ok"
            assert (await client.get("/healthz")).status_code == 200


async def test_not_ready_while_the_database_lags_behind_the_code(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with running_app(settings) as (app, client):
        assert (await client.get("/readyz")).status_code == 200
        engine = app.state.core.sessions.kw["bind"]  # type: ignore[attr-defined]
        async with engine.begin() as conn:
            await conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
        lagging = await client.get("/readyz")
        assert lagging.status_code == 503 and lagging.json()["checks"]["database"] == "not yet"


async def test_a_readiness_probe_reads_the_migration_scripts_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic.script import ScriptDirectory

    read = 0
    real = ScriptDirectory.from_config.__func__  # type: ignore[attr-defined]

    def counting(cls: type[ScriptDirectory], *args: object, **kwargs: object) -> ScriptDirectory:
        nonlocal read
        read += 1
        return real(cls, *args, **kwargs)  # type: ignore[no-any-return]

    async with running_app(make_settings(tmp_path)) as (_, client):
        monkeypatch.setattr(ScriptDirectory, "from_config", classmethod(counting))
        for _ in range(20):  # a load balancer, or anyone, asking again and again
            assert (await client.get("/readyz")).status_code == 200
    assert read <= 1  # the code's newest migration is known once; the database's is asked
