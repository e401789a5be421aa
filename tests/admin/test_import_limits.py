"""Imports that are malformed, too big or zip bombs are refused with a clear 4xx."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.content import formats
from tests.admin.conftest import Admin, admin_app
from tests.conftest import make_settings

MALFORMED = [
    ("faq.yaml", "faq: [{id: x, questions: [a]}]", "faq[0].questions"),
    ("faq.yaml", "threshold: abc\nfaq: []", "threshold"),
    ("faq.yaml", "threshold: 7\nfaq: []", "threshold"),
    ("faq.yaml", "faq: x", "faq"),
    ("faq.yaml", "faq: [{questions: {pl: [a]}, answer: {pl: b}}]", "faq[0].id"),
    ("faq.yaml", "faq: [{id: x, questions: {pl: [a]}, answer: {pl: [b]}}]", "faq[0].answer.pl"),
    ("faq.yaml", "faq: [{id: x, questions: {pl: a}, answer: {pl: b}}]", "faq[0].questions.pl"),
    ("catalog.yaml", "sizes: {small: 5}\nproducts: []", "sizes.small"),
    ("catalog.yaml", "categories: [{name: {pl: X}}]", "categories[0].id"),
    ("catalog.yaml", "products: [{id: p, prices: {small: abc}}]", "products[0].prices.small"),
    ("catalog.yaml", "products: [{id: p, name: [a]}]", "products[0].name"),
    ("catalog.yaml", "products: [{id: p, available: maybe}]", "products[0].available"),
    ("catalog.yaml", "products: {margherita: 1}", "products"),
    ("catalog.yaml", "shop: 5\nproducts: []", "shop"),
    ("pl.yaml", "language: pl\nintents: {greet: hello}", "intents.greet"),
    ("pl.yaml", "language: pl\nintents: [greet]", "intents"),
    ("pl.yaml", "language: pl\nintents: {greet: [{txt: a}]}", "intents.greet[0]"),
    ("responses.yaml", "responses: {greet: {pl: 5}}", "responses.greet"),
    ("responses.yaml", "responses: [a]", "responses"),
]


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Admin]:
    settings = make_settings(
        tmp_path, import_max_bytes=100_000, import_max_unpacked_bytes=1_000_000
    )
    async with admin_app(settings) as admin:
        yield admin


def zipped(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in files.items():
            zf.writestr(name, body)
    return buffer.getvalue()


async def test_every_malformed_shape_is_a_422_naming_the_field(env: Admin) -> None:
    before = (await env.http.get("/api/admin/status", headers=env.op)).json()
    for name, text, field in MALFORMED:
        r = await env.http.post("/api/admin/import", files={"file": (name, text)}, headers=env.op)
        assert r.status_code == 422, (text, r.status_code, r.text)
        detail = r.json()["detail"]
        assert f"{name}: {field}" in detail, (text, detail)
        # The same file inside a zip, under its folder, is refused the same way.
        r = await env.http.post(
            "/api/admin/import",
            files={"file": ("c.zip", zipped({f"knowledge/{name}": text}))},
            headers=env.op,
        )
        assert r.status_code == 422 and f"knowledge/{name}: {field}" in r.json()["detail"]
    after = (await env.http.get("/api/admin/status", headers=env.op)).json()
    assert after["saved_version"] == before["saved_version"]  # nothing was imported


async def test_a_zip_bomb_and_a_zip_of_many_files_are_refused(env: Admin) -> None:
    bomb = zipped({"knowledge/faq.yaml": b"#" * 50_000_000})
    assert len(bomb) < 100_000  # ~50 KB that would unpack to 50 MB
    r = await env.http.post("/api/admin/import", files={"file": ("b.zip", bomb)}, headers=env.op)
    assert r.status_code == 422 and "unpacks to more than 1,000,000 bytes" in r.json()["detail"]
    many = zipped({f"f{i}.yaml": "faq: []" for i in range(51)})
    r = await env.http.post("/api/admin/import", files={"file": ("m.zip", many)}, headers=env.op)
    assert r.status_code == 422 and "at most 50" in r.json()["detail"]
    big = "faq: []\n" + "#" * 200_000
    r = await env.http.post("/api/admin/import", files={"file": ("f.yaml", big)}, headers=env.op)
    assert r.status_code == 413


async def test_unpacking_and_parsing_run_off_the_event_loop(
    env: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real_unzip, real_parse = formats.unzip, formats.parse_bundle

    def unzip(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real_unzip(*args)

    def parse_bundle(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real_parse(*args)

    monkeypatch.setattr(formats, "unzip", unzip)
    monkeypatch.setattr(formats, "parse_bundle", parse_bundle)
    good = "faq:\n- id: x\n  questions: {pl: ['Czy macie parking?']}\n  answer: {pl: Tak.}\n"
    r = await env.http.post(
        "/api/admin/import", files={"file": ("c.zip", zipped({"faq.yaml": good}))}, headers=env.op
    )
    assert r.status_code == 200, r.text
    assert len(threads) == 2 and threading.current_thread().name not in threads
