"""No public default secret: a staff token cannot be forged without the shop's own key."""

from __future__ import annotations

import asyncio
import stat
import sys
from asyncio.subprocess import PIPE
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import create_app
from bot.auth import create_user, issue_token
from tests.conftest import make_settings, running_app

# Keys someone might try: the old compose default, empty and common placeholders.
ROOT = Path(__file__).resolve().parents[2]
GUESSES = ["change-me-to-a-long-random-string", "", "secret", "changeme", "omnibot", "test"]


async def test_a_fresh_install_generates_its_own_key_and_refuses_forged_tokens(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path / "shop", secret_key=None)
    async with running_app(settings) as (app, client):
        core = app.state.core  # type: ignore[attr-defined]
        async with core.sessions() as s:
            admin = await create_user(s, "boss@shop.pl", "correct horse", "admin")
        for guess in GUESSES:
            forged = issue_token(admin, guess, timedelta(minutes=5))
            r = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
            assert r.status_code == 401, guess
        real = await client.post(
            "/api/auth/token", data={"username": "boss@shop.pl", "password": "correct horse"}
        )
        token = real.json()["access_token"]
        me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["role"] == "admin"

    key_file = tmp_path / "shop" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text()) >= 48
    other = make_settings(tmp_path / "other", secret_key=None).resolved_secret_key()
    assert other != key_file.read_text()
    # The next start keeps the key: tokens and web chat sessions survive restarts.
    again = make_settings(tmp_path / "shop", secret_key=None).resolved_secret_key()
    assert again == key_file.read_text()


async def test_processes_starting_at_once_on_one_data_dir_agree_on_one_key(
    tmp_path: Path,
) -> None:
    script = (
        "import sys; from bot.settings import Settings; "
        "print(Settings(omnibot_data_dir=sys.argv[1]).resolved_secret_key())"
    )
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, str(tmp_path), stdout=PIPE, cwd=ROOT
        )
        for _ in range(4)
    ]
    keys = {(await p.communicate())[0].strip() for p in procs}
    assert len(keys) == 1 and all(keys)


def test_instances_sharing_redis_must_be_given_the_key(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, secret_key=None, redis_url="redis://127.0.0.1:1/0")
    with pytest.raises(ValueError, match="SECRET_KEY must be set"):
        create_app(settings)


def test_a_short_key_is_refused_at_start(tmp_path: Path) -> None:
    """A guessable SECRET_KEY ("changeme"), tried offline against one session token, would let
    anyone sign any customer's web chat session: the server does not start with one."""
    with pytest.raises(ValueError, match="at least 32 characters"):
        create_app(make_settings(tmp_path, secret_key="changeme"))
    assert create_app(make_settings(tmp_path, secret_key="x" * 32)) is not None


def test_omnibot_run_says_why_it_refuses_a_short_key(tmp_path: Path) -> None:
    import os
    import subprocess

    env = {**os.environ, "SECRET_KEY": "changeme", "OMNIBOT_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--port", "1"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    said = done.stdout + done.stderr
    assert "at least 32 characters" in said and "Traceback" not in said
    assert not any(tmp_path.iterdir())  # refused before anything was made
