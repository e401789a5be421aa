"""The first `omnibot run`: a shop without an admin is told how to create one."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.deploy.running import ROOT, running


async def start_output(data: Path, name: str) -> str:
    """Start `python -m bot run` on `data`, wait until it is ready, stop it: what it printed."""
    log = data.parent / f"{name}.log"
    env = {**os.environ, "OMNIBOT_DATA_DIR": str(data), "NLU_BACKEND": "keywords"}
    async with running(env, log) as http:
        assert (await http.get("/readyz")).status_code == 200, log.read_text()[-2000:]
    return log.read_text()


async def test_a_first_run_without_an_admin_says_how_to_create_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = await start_output(data, "first")
    assert "users add" in first and "--role admin" in first, first[-2000:]

    env = {**os.environ, "OMNIBOT_DATA_DIR": str(data), "NLU_BACKEND": "keywords"}
    add = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "users", "add", "owner@shop.pl", "--role", "admin",
        "--password", "a long enough password", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert await add.wait() == 0

    later = await start_output(data, "later")
    assert "Omnibot is up" in later and "users add" not in later, later[-2000:]
