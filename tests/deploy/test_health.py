"""Liveness and readiness as an orchestrator and a load balancer see them."""

from __future__ import annotations

from pathlib import Path

import asyncpg

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
