"""From "cześć" to a confirmed order in at most 7 messages, through the web chat REST API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import make_settings, running_app


async def test_a_simple_order_takes_at_most_seven_messages(
    tmp_path: Path, interpreter: Any
) -> None:
    async with running_app(make_settings(tmp_path)) as (started, client):
        app: Any = started
        app.state.core.interpreter = interpreter  # the real NLU, loaded once per session
        token = (await client.post("/api/webchat/sessions")).json()["session_token"]
        sent = 0

        async def send(text: str | None = None, payload: str | None = None) -> str:
            nonlocal sent
            sent += 1
            body: dict[str, Any] = {"session_token": token, "client_message_id": f"m{sent}"}
            body.update({k: v for k, v in (("text", text), ("payload", payload)) if v})
            r = await client.post("/api/webchat/messages", json=body)
            assert r.status_code == 200, r.text
            replies = r.json()["replies"]
            send.buttons = [b for m in replies for b in m["buttons"]]  # type: ignore[attr-defined]
            return "\n".join(m["text"] for m in replies)

        def button(title: str) -> dict[str, str]:
            found = [b for b in send.buttons if title in b["title"]]  # type: ignore[attr-defined]
            assert found, send.buttons  # type: ignore[attr-defined]
            return found[0]

        assert "Pizzeria Omnibot" in await send("cześć")
        assert "1 × Margherita" in await send("poproszę dużą margheritę")
        assert "Dostawa czy odbiór" in await send("zamawiam")
        delivery = button("Dostawa")
        assert "adres" in await send(delivery["title"], delivery["payload"])
        assert "telefonu" in await send("ul. Długa 5/3, Kraków")
        assert "Podsumowanie" in await send("Jan Kowalski, 600 111 222")
        placed = await send("potwierdzam, płacę gotówką")
        assert "Zamówienie PZ-" in placed and "49,80 zł" in placed
        assert sent <= 7
        history = httpx.QueryParams(token=token)
        r = await client.get("/api/webchat/history", params=history)
        assert sum(1 for m in r.json()["messages"] if m["author"] == "customer") == sent
