"""POST /api/nlu/parse on the real model: Rasa's shape, both languages, bad input."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import NLU_CACHE, make_settings, running_app


async def test_parse_endpoint(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, nlu_backend="auto", cache_dir=NLU_CACHE)
    async with running_app(settings) as (_, client):
        r = await client.post("/api/nlu/parse", json={"text": "poproszę dwie duże margherity"})
        assert r.status_code == 200
        body = r.json()
        assert {"text", "intent", "intent_ranking", "entities", "lang"} <= set(body)
        assert body["intent"]["name"] == "add_to_cart" and body["lang"] == "pl"
        assert 0 < body["intent"]["confidence"] <= 1
        entities = {(e["entity"], e["value"]) for e in body["entities"]}
        assert {("quantity", 2), ("size", "large"), ("product", "margherita")} <= entities
        for e in body["entities"]:
            assert body["text"][e["start"] : e["end"]]  # offsets point into the text

        r = await client.post("/api/nlu/parse", json={"text": "where is my order PZ-12345?"})
        assert r.json()["intent"]["name"] == "order_status"
        assert {"entity": "order_number", "value": "PZ-12345"}.items() <= r.json()["entities"][
            0
        ].items()

        r = await client.post("/api/nlu/parse", json={"text": "what's the capital of Peru?"})
        assert r.json()["intent"]["name"] == "nlu_fallback"

        for odd in ["", "   ", "🍕🍕🍕", "hello, poproszę menu please", "\u202e\u200f"]:
            r = await client.post("/api/nlu/parse", json={"text": odd})
            assert r.status_code == 200, odd
            assert r.json()["intent"]["name"]
        assert (
            await client.post("/api/nlu/parse", json={"text": "x" * 100_000})
        ).status_code == 413
        assert (await client.post("/api/nlu/parse", json={"lang": "pl"})).status_code == 422
        assert (
            await client.post("/api/nlu/parse", json={"text": "hi", "lang": "de"})
        ).status_code == 422
