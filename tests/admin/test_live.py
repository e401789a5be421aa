"""On the real NLU: saved content answers the next web chat message with no restart, and
customers keep being answered while an operator saves in a loop.

How fast a save goes live (target 2 s) is measured by benchmarks/content_live.py; the
tests only wait for it, generously, so a loaded machine does not fail them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.admin.conftest import Admin, admin_app
from tests.admin.nlu import use_shared_engine
from tests.conftest import make_settings

LIVE_TIMEOUT_S = 30.0


@pytest.fixture
async def nlu_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Admin]:
    use_shared_engine(monkeypatch)
    async with admin_app(make_settings(tmp_path, nlu_backend="auto")) as env:
        yield env


async def go_live(env: Admin) -> None:
    """Wait until the bot answers with the last saved content."""
    assert await env.content.settled(LIVE_TIMEOUT_S), env.content.status()


async def test_new_example_and_faq_entry_answer_the_next_message(nlu_admin: Admin) -> None:
    http, op = nlu_admin.http, nlu_admin.op
    say = await nlu_admin.chat()
    greeting = await say("cześć")
    assert "klops" not in str(greeting)
    assert await say("klops") != greeting  # not understood yet
    dogs = "Czy można przyjść z psem?"
    assert not any("mile widziane" in t for t in await say(dogs))

    greet = (await http.get("/api/admin/intents/greet", headers=op)).json()
    greet["examples"]["pl"].append("klops")
    r = await http.put("/api/admin/intents/greet", json=greet, headers=op)
    assert r.status_code == 200
    r = await http.post(
        "/api/admin/faq",
        json={
            "questions": {"pl": [dogs, "Czy wpuszczacie psy?"], "en": ["Can I bring my dog?"]},
            "answers": {"pl": "Tak, psy są u nas mile widziane.", "en": "Yes, dogs are welcome."},
        },
        headers=op,
    )
    assert r.status_code == 201
    await go_live(nlu_admin)

    assert await say("klops") == greeting
    assert await say(dogs) == ["Tak, psy są u nas mile widziane."]
    r = await http.post("/api/admin/try", json={"text": dogs}, headers=op)
    assert r.json()["faq"]["id"] == "czy-mozna-przyjsc-z-psem"
    assert r.json()["replies"][0]["text"] == "Tak, psy są u nas mile widziane."

    # A new intent with its own answer.
    r = await http.put(
        "/api/admin/intents/parking",
        json={
            "examples": {
                "pl": ["czy macie parking?", "gdzie mogę zaparkować?", "gdzie zostawić auto?",
                       "jest parking przy lokalu?"],
                "en": ["do you have parking?", "where can I park?"],
            },
            "responses": {"pl": ["Parking jest za budynkiem."], "en": ["Parking is behind us."]},
        },
        headers=op,
    )  # fmt: skip
    assert r.status_code == 200
    await go_live(nlu_admin)
    assert await say("czy jest parking?") == ["Parking jest za budynkiem."]


async def test_messages_are_answered_while_the_operator_saves_in_a_loop(
    nlu_admin: Admin,
) -> None:
    http, op = nlu_admin.http, nlu_admin.op
    greet = (await http.get("/api/admin/intents/greet", headers=op)).json()
    stop = asyncio.Event()
    saves = 0

    async def operator() -> None:
        nonlocal saves
        while not stop.is_set():
            body = {**greet, "examples": {**greet["examples"]}}
            body["examples"]["pl"] = [*greet["examples"]["pl"], f"witajcie {saves % 3}"]
            r = await http.put("/api/admin/intents/greet", json=body, headers=op)
            assert r.status_code == 200, r.text
            price = 2490 + saves % 2
            r = await http.put(
                "/api/admin/products/margherita",
                json={"category": "pizza", "names": {"pl": "Margherita", "en": "Margherita"},
                      "prices": {"small": price, "medium": 3290, "large": 3990}},
                headers=op,
            )  # fmt: skip
            assert r.status_code == 200, r.text
            saves += 1
            await asyncio.sleep(0.05)

    async def customer(n: int) -> int:
        say = await nlu_admin.chat()
        answered = 0
        for text in ["cześć", "pokaż menu", "ile kosztuje margherita?", "dzięki", "co u ciebie?"]:
            replies = await say(f"{text}")
            assert replies, f"customer {n}: no reply to {text!r}"
            answered += 1
        return answered

    saver = asyncio.create_task(operator())
    answered = 0
    # Customers keep chatting until the operator has saved three times (however long that
    # takes on a busy machine): every message meanwhile is answered.
    while (saves < 3 and not saver.done()) or not answered:
        answered += sum(await asyncio.gather(*(customer(n) for n in range(4))))
    stop.set()
    await saver
    assert saves >= 3 and answered >= 20
    await go_live(nlu_admin)
    assert nlu_admin.content.status()["last_error"] is None
