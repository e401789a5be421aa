"""The first `omnibot run`: a shop without an admin is told how to create one, and a long
first start says what it is preparing."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from tests.deploy.running import ROOT, running


async def start_output(data: Path, name: str, nlu: str = "keywords") -> str:
    """Start `python -m bot run` on `data`, wait until it is ready, stop it: what it printed."""
    log = data.parent / f"{name}.log"
    env = {**os.environ, "OMNIBOT_DATA_DIR": str(data), "NLU_BACKEND": nlu}
    # The language model's first start on a busy 2-core machine: up to ten minutes.
    async with running(env, log, start_tries=6000 if nlu == "auto" else 600) as http:
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


async def test_a_first_start_logs_its_steps_and_not_the_libraries_chatter(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = await start_output(data, "first", nlu="auto")
    # rasa_sdk's "Registered function for 'action_…'", once per action, is quiet now.
    assert "Registered function" not in first and "rasa_sdk" not in first, first[-3000:]
    steps = [
        "loading the language model and training the intents…",
        "preparing the language model (first start, may take a few minutes)",
        "language model exported in",
        "quantising the language model to int8 (first start)…",
        "embedding ",  # the example sentences, cached for the next starts
        "language model ready in",
        "Omnibot is up",
    ]
    at = [first.find(step) for step in steps]
    assert -1 not in at and at == sorted(at), first[-3000:]
    assert re.search(r"language model ready in \d+ s", first)

    later = await start_output(data, "later", nlu="auto")
    assert "first start" not in later and "Registered function" not in later, later[-3000:]
    assert re.search(r"language model ready in \d+ s", later)
    assert "\n\n" not in later  # no progress bar drawn into a log file
