"""Intents mapped to actions that only a remote Rasa action server has (its /webhook)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import build_runtime, start_runtime, stop_runtime
from bot.core import Core
from bot.store.models import DialogueState
from tests.bot.channel import CollectingChannel
from tests.conftest import free_port, make_settings
from tests.dialogue.chat import Chat

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def action_server() -> Iterator[str]:
    """`python -m rasa_sdk --actions tests.dialogue.remote_actions` on 127.0.0.1."""
    port = free_port()
    env = {**os.environ, "SANIC_HOST": "127.0.0.1", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "tests.dialogue.remote_actions",
         "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                err = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"the action server exited: {err[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the action server did not start")
            time.sleep(0.2)
        yield f"{url}/webhook"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
async def core(tmp_path: Path, action_server: str) -> AsyncIterator[Core]:
    domain = tmp_path / "domain.yaml"
    domain.write_text(
        "intents:\n  tell_joke: action_tell_joke\n  joke_and_cart: action_joke_then_cart\n"
    )
    runtime = build_runtime(make_settings(tmp_path))
    runtime.core.dialogue.configure_actions(endpoint=action_server, domain_path=domain)
    runtime.core.register_channel(CollectingChannel("test"))
    await start_runtime(runtime)
    yield runtime.core
    await stop_runtime(runtime)


async def test_a_remote_custom_action_gets_the_tracker_and_sets_slots(core: Core) -> None:
    chat = Chat(core)
    await chat.say("cześć")
    first = await chat.payload("/tell_joke")
    assert first.actions == ["action_tell_joke"]
    assert f"Joke #1 for customer {chat.customer_id} (pl): intent tell_joke" in first.text
    assert "Nie ma za co" in first.text  # response="utter_thanks" rendered from our templates
    second = await chat.press("Another one")
    assert "Joke #2" in second.text  # the slot it set came back in the next tracker
    async with core.sessions() as s:
        state = await s.get(DialogueState, chat.customer_id)
        assert state is not None and state.slots["jokes_told"] == 2


async def test_a_remote_followup_runs_a_local_action(core: Core) -> None:
    chat = Chat(core)
    await chat.say("poproszę dużą margheritę")
    result = await chat.payload("/joke_and_cart")
    assert result.actions == ["action_joke_then_cart", "action_show_cart"]
    assert "One more thing:" in result.text and "1 × Margherita" in result.text


async def test_built_in_actions_stay_local_and_unreachable_servers_fail_politely(
    core: Core,
) -> None:
    chat = Chat(core)
    menu = await chat.say("pokaż menu")
    assert menu.actions == ["action_show_menu"]  # registered here: never posted away
    core.dialogue.actions.endpoint = f"http://127.0.0.1:{free_port()}/webhook"
    down = await chat.payload("/tell_joke")
    assert "Coś poszło nie tak" in down.text
