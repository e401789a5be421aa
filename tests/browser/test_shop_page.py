"""The demo shop page in a real browser shows the catalog's prices as they are now."""

from __future__ import annotations

import asyncio

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.conftest import OPERATOR
from tests.conftest import LiveServer


def test_a_price_changed_in_admin_shows_on_the_shop_page(
    browser: Browser, operator_server: LiveServer
) -> None:
    page = browser.new_page(locale="pl-PL")
    page.goto(f"{operator_server.url}/")
    margherita = page.locator("tr", has_text="Margherita").first
    expect(margherita.locator("td.price").nth(2)).to_have_text("39,90 zł")

    with httpx.Client(base_url=operator_server.url, timeout=10) as http:
        login = {"username": OPERATOR[0], "password": OPERATOR[1]}
        token = http.post("/api/auth/token", data=login).json()["access_token"]
        operator = {"Authorization": f"Bearer {token}"}
        product = http.get("/api/admin/products/margherita", headers=operator).json()
        product["prices"] = {**product["prices"], "large": 4190}
        product.pop("id", None)
        r = http.put("/api/admin/products/margherita", json=product, headers=operator)
        assert r.status_code == 200, r.text
    content = operator_server.app.state.content
    assert asyncio.run_coroutine_threadsafe(
        content.settled(30), operator_server.app.state.runtime.core.loop
    ).result(40), content.status()

    page.reload()
    margherita = page.locator("tr", has_text="Margherita").first
    expect(margherita.locator("td.price")).to_have_text(["24,90 zł", "32,90 zł", "41,90 zł"])
    # The other products keep theirs.
    cola = page.locator("tr", has_text="Cola").first
    expect(cola.locator("td.price")).to_have_text("7,90 zł")
