"""What the server says in its own words, read in the staff page's language end to end: the
History's versions and their changes, intent names, rare content refusals and 404s, a
broken Rasa NLU file with where it breaks, and order items on the board — in Polish on a
Polish page, in English on an English one."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from bot.auth import create_user
from tests.browser.test_orders_board import order_over_rest
from tests.conftest import LiveServer, make_settings

PASSWORD = "correct horse"
KITCHEN = "kuchnia@shop.pl"
OPERATOR = "ola@shop.pl"


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(make_settings(tmp_path))
    server.start()
    core: Any = server.app.state.core

    async def add_staff() -> None:
        async with core.sessions() as session:
            await create_user(session, KITCHEN, PASSWORD, "kitchen")
            await create_user(session, OPERATOR, PASSWORD, "operator")

    asyncio.run_coroutine_threadsafe(add_staff(), core.loop).result(10)
    yield server
    server.stop()


def staff_page(browser: Browser, locale: str, url: str, path: str, email: str) -> Page:
    page = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800}).new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url + path)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login button[type=submit]")
    expect(page.locator("#logout")).to_be_visible()
    return page


def switch_to(page: Page, lang: str) -> None:
    page.select_option("#lang", lang)
    expect(page.locator("html")).to_have_attribute("lang", lang)


def operator_api(url: str) -> httpx.Client:
    token = httpx.post(
        f"{url}/api/auth/token", data={"username": OPERATOR, "password": PASSWORD}
    ).json()["access_token"]
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_history_says_what_each_version_did_in_the_pages_language(
    browser: Browser, shop: LiveServer
) -> None:
    with operator_api(shop.url) as api:
        product = api.get("/api/admin/products/margherita").json()
        product["prices"]["small"] = 2290
        assert api.put("/api/admin/products/margherita", json=product).json()["changed"]
        examples = api.get("/api/admin/intents/greet").json()
        examples["examples"]["pl"].append("siemka wszystkim")
        assert api.put("/api/admin/intents/greet", json=examples).json()["changed"]
        versions = api.get("/api/admin/history").json()["versions"]
    # The API keeps its English sentence and names the same in a code and its values.
    assert versions[1]["summary"] == "saved product margherita"
    assert (versions[1]["summary_code"], versions[1]["summary_params"]) == (
        "product_saved",
        {"id": "margherita"},
    )

    page = staff_page(browser, "pl-PL", shop.url, "/admin", OPERATOR)
    page.get_by_role("tab", name="Historia").click()
    rows = page.locator("#history tr")
    expect(rows.nth(0)).to_contain_text("Zapisano intencję powitanie (greet)")
    expect(rows.nth(0)).to_contain_text("zmieniono intencję powitanie (greet)")
    expect(rows.nth(1)).to_contain_text("Zapisano produkt margherita")
    expect(rows.nth(1)).to_contain_text("zmieniono produkt margherita")
    expect(rows.nth(2)).to_contain_text("Treść domyślna z plików YAML")
    expect(rows.nth(2)).to_contain_text("dodano intencję powitanie (greet)")
    expect(page.locator("#history")).not_to_contain_text("saved product")

    switch_to(page, "en")
    expect(rows.nth(0)).to_contain_text("Saved intent greeting (greet)")
    expect(rows.nth(1)).to_contain_text("Saved product margherita")
    expect(rows.nth(1)).to_contain_text("updated product margherita")
    expect(rows.nth(2)).to_contain_text("Default content from the YAML files")
    page.context.close()


def test_intents_are_listed_by_their_names_in_the_pages_language_and_found_by_either(
    browser: Browser, shop: LiveServer
) -> None:
    page = staff_page(browser, "pl-PL", shop.url, "/admin", OPERATOR)
    greet = page.locator('#intent-list button[data-intent="greet"]')
    expect(greet.locator("strong")).to_have_text("powitanie")
    expect(greet.locator("small")).to_contain_text("greet · pl")
    page.fill("#intent-q", "powitanie")  # the Polish name, found by the page
    expect(page.locator("#intent-list button")).to_have_count(1)
    expect(greet).to_be_visible()
    page.fill("#intent-q", "godziny otwarcia")
    expect(page.locator('#intent-list button[data-intent="opening_hours"]')).to_be_visible()
    page.fill("#intent-q", "greet")  # the technical name, found by the server
    expect(greet).to_be_visible()

    page.get_by_role("tab", name="Wypróbuj").click()
    page.fill("#try-text", "dzień dobry")
    page.locator("#try-form button[type=submit]").click()
    expect(page.locator("#try-result")).to_contain_text("Intencja: powitanie (greet)")

    switch_to(page, "en")
    page.get_by_role("tab", name="Intents").click()
    page.fill("#intent-q", "")
    expect(greet.locator("strong")).to_have_text("greeting")
    page.fill("#intent-q", "opening hours")
    expect(page.locator('#intent-list button[data-intent="opening_hours"]')).to_be_visible()
    page.context.close()


def test_what_the_response_variables_hold_reads_in_the_pages_language(
    browser: Browser, shop: LiveServer
) -> None:
    page = intent_in_polish(browser, shop, "opening_hours")
    hint = page.locator("#intent-vars")
    expect(hint).to_contain_text("{delivery_fee} = opłata za dostawę")
    expect(hint).to_contain_text("{name} = imię klienta albo nic, gdy go nie znamy")
    expect(hint).not_to_contain_text("the delivery fee")
    switch_to(page, "en")
    expect(hint).to_contain_text("{delivery_fee} = the delivery fee")
    page.context.close()


def intent_in_polish(browser: Browser, shop: LiveServer, intent: str) -> Page:
    """The operator console in Polish with one intent open."""
    page = staff_page(browser, "pl-PL", shop.url, "/admin", OPERATOR)
    page.locator(f'#intent-list button[data-intent="{intent}"]').click()
    return page


def save_intent(page: Page) -> None:
    page.get_by_role("button", name=re.compile("^(Zapisz intencję|Save intent)$")).click()


def test_rare_content_refusals_and_a_vanished_intent_read_in_the_pages_language(
    browser: Browser, shop: LiveServer
) -> None:
    page = intent_in_polish(browser, shop, "greet")
    examples = page.locator("#intent-ex-pl")
    expect(examples).not_to_have_value("")
    kept = examples.input_value()
    examples.fill(kept + "\n" + "a" * 501)
    save_intent(page)
    expect(page.locator("#error")).to_have_text(
        "Intencja powitanie (greet), przykłady (pl): „" + "a" * 40 + "…” ma więcej niż 500 znaków."
    )
    examples.fill(kept)
    page.fill("#intent-re-pl", "Cześć {name")
    save_intent(page)
    expect(page.locator("#error")).to_have_text(
        "Intencja powitanie (greet): odpowiedź „Cześć {name” ma niedomknięty nawias { } — "
        "zmienną pisz jak {name}, a nawias jako tekst: {{ albo }}."
    )
    switch_to(page, "en")
    save_intent(page)
    expect(page.locator("#error")).to_have_text(
        "Intent greeting (greet): the response “Cześć {name” has an unmatched brace { } — "
        "write a variable as {name} and a literal brace as {{ or }}."
    )

    # An unknown language key, as a file brings it.
    switch_to(page, "pl")
    page.get_by_role("tab", name="Import / eksport").click()
    responses = {"name": "responses.yaml", "mimeType": "application/x-yaml",
                 "buffer": b"responses:\n  greet:\n    de: [Hallo]\n"}  # fmt: skip
    page.set_input_files("#import-file", files=[responses])
    page.get_by_role("button", name="Importuj").click()
    expect(page.locator("#error")).to_have_text(
        "Intencja powitanie (greet): nieznany język „de” (znane: pl, en)."
    )

    # Someone else deletes the intent open here.
    page.get_by_role("tab", name="Intencje").click()
    page.locator('#intent-list button[data-intent="thanks"]').click()
    expect(page.locator("#intent-name")).to_have_value("thanks")
    with operator_api(shop.url) as api:
        assert api.delete("/api/admin/intents/thanks").status_code == 200
    page.click("#intent-delete")
    expect(page.locator("#error")).to_have_text(
        "Nie ma intencji podziękowanie (thanks) — odśwież listę."
    )
    switch_to(page, "en")
    page.click("#intent-delete")
    expect(page.locator("#error")).to_have_text("There is no intent thanks — reload the list.")
    page.context.close()


BROKEN_NLU = b"""version: "3.1"
nlu:
- intent: greet
  examples: |
    - hey
    - hi [there]{"entity": broken}
"""


def test_a_broken_rasa_nlu_file_is_refused_saying_where(browser: Browser, shop: LiveServer) -> None:
    page = staff_page(browser, "pl-PL", shop.url, "/admin", OPERATOR)
    page.get_by_role("tab", name="Import / eksport").click()
    nlu = {"name": "nlu.yml", "mimeType": "application/x-yaml", "buffer": BROKEN_NLU}
    page.set_input_files("#import-file", files=[nlu])
    page.get_by_role("button", name="Importuj").click()
    expect(page.locator("#error")).to_have_text(
        "nlu.yml: niepoprawny plik NLU Rasy: wiersz 6, intencja powitanie (greet): "
        'niepoprawna adnotacja encji [there]{"entity": broken}.'
    )
    switch_to(page, "en")
    page.click("#import-run")
    expect(page.locator("#error")).to_have_text(
        "nlu.yml: not a valid Rasa NLU file: line 6, intent greeting (greet): "
        'a broken entity annotation [there]{"entity": broken}.'
    )
    page.context.close()


ENGLISH_ORDER = (
    "a large hawaiian please",
    "checkout",
    "pickup",
    "Ann, 600 222 333",
    "confirm, cash",
)


def test_order_items_on_the_board_are_named_in_the_boards_language(
    browser: Browser, shop: LiveServer
) -> None:
    number = order_over_rest(shop.url, ENGLISH_ORDER)
    board = staff_page(browser, "pl-PL", shop.url, "/orders", KITCHEN)
    card = board.locator(f'.card[data-number="{number}"]')
    expect(card).to_contain_text("1× Hawajska, duża (42 cm)")
    switch_to(board, "en")
    expect(card).to_contain_text("1× Hawaiian, large (42 cm)")
    board.context.close()
