"""What the server says in its own words, read in the staff page's language end to end: the
History's versions and their changes, intent names, rare content refusals and 404s, a
broken Rasa NLU file with where it breaks, and order items on the board — in Polish on a
Polish page, in English on an English one."""

from __future__ import annotations

import asyncio
import os
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


# What the History says of the versions made below, newest first, per language.
HISTORY = {
    "pl": [
        ("Zapisano intencję powitanie (greet)", "zmieniono intencję powitanie (greet)"),
        ("Usunięto produkt Hawajska", "usunięto produkt Hawajska"),
        ("Zapisano FAQ „W jakich godzinach jesteście otwarci?”",),
        ("Zapisano produkt Sok pomarańczowy 0,3 l", "zmieniono produkt Sok pomarańczowy 0,3 l"),
        ("Treść domyślna z plików YAML", "dodano intencję powitanie (greet)"),
    ],
    "en": [
        ("Saved intent greeting (greet)", "updated intent greeting (greet)"),
        ("Deleted product Hawaiian", "deleted product Hawaiian"),
        ("Saved FAQ “What are your opening hours?”",),
        ("Saved product Orange juice 0.3 l", "updated product Orange juice 0.3 l"),
        ("Default content from the YAML files", "created intent greeting (greet)"),
    ],
}


def test_history_says_what_each_version_did_in_the_pages_language(
    browser: Browser, shop: LiveServer
) -> None:
    with operator_api(shop.url) as api:
        product = api.get("/api/admin/products/orange-juice").json()
        product["prices"]["default"] = 990
        assert api.put("/api/admin/products/orange-juice", json=product).json()["changed"]
        faq = api.get("/api/admin/faq/opening-hours").json()
        faq["answers"]["pl"] += " Zapraszamy!"
        assert api.put("/api/admin/faq/opening-hours", json=faq).json()["changed"]
        assert api.delete("/api/admin/products/hawaii").json()["changed"]
        examples = api.get("/api/admin/intents/greet").json()
        examples["examples"]["pl"].append("siemka wszystkim")
        assert api.put("/api/admin/intents/greet", json=examples).json()["changed"]
        versions = api.get("/api/admin/history").json()["versions"]
    # The API keeps its English sentence and names the same in a code and its values.
    assert versions[3]["summary"] == "saved product orange-juice"
    assert (versions[3]["summary_code"], versions[3]["summary_params"]) == (
        "product_saved",
        {"id": "orange-juice"},
    )

    page = staff_page(browser, "pl-PL", shop.url, "/admin", OPERATOR)
    page.get_by_role("tab", name="Historia").click()
    rows = page.locator("#history tr")
    # Products and FAQ entries by their names and questions, a deleted one as it was called.
    for lang, said in HISTORY.items():
        switch_to(page, lang)
        for row, texts in enumerate(said):
            for text in texts:
                expect(rows.nth(row)).to_contain_text(text)
        for technical in ("saved product", "orange-juice", "opening-hours", "hawaii"):
            expect(page.locator("#history")).not_to_contain_text(technical)
        if directory := os.environ.get("OMNIBOT_SCREENSHOT_DIR"):
            page.screenshot(path=str(Path(directory) / f"admin-history-{lang}.png"))
    page.context.close()


def test_what_the_console_last_said_and_tried_follows_a_switch_of_language(
    browser: Browser, shop: LiveServer
) -> None:
    page = staff_page(browser, "pl-PL", shop.url, "/admin", OPERATOR)
    page.get_by_role("tab", name="Lokal").click()
    saved, error = page.locator("#saved"), page.locator("#error")
    expect(page.locator("#shop-fee")).not_to_have_value("")
    page.fill("#shop-fee", "tanio")  # not a price: refused before anything is sent
    page.get_by_role("button", name="Zapisz dane lokalu").click()
    expect(error).to_contain_text("to nie cena")
    switch_to(page, "en")
    expect(error).to_contain_text("is not a price")
    expect(error).not_to_contain_text("to nie cena")

    expect(page.locator("#shop-fee")).to_have_value("tanio")  # typed, not saved: kept
    page.fill("#shop-fee", "6,90")
    page.get_by_role("button", name="Save shop details").click()
    expect(saved).to_have_text(
        re.compile(r"^(Saved shop details — version \d+|No changes to save)")
    )
    switch_to(page, "pl")
    expect(saved).to_have_text(re.compile(r"^(Zapisano dane lokalu — wersja \d+|Nic do zapisania)"))

    page.get_by_role("tab", name="Wypróbuj").click()
    page.fill("#try-text", "chcę rozmawiać z człowiekiem")
    page.get_by_role("button", name="Wypróbuj").click()
    result = page.locator("#try-result")
    expect(result).to_contain_text("Intencja: prośba o konsultanta (human_handoff)")
    expect(result).to_contain_text("Bot odpowie")
    switch_to(page, "en")
    expect(result).to_contain_text("Intent: asks for a person (human_handoff)")
    expect(result).to_contain_text("The bot would answer")
    expect(result.locator(".warn")).to_have_text(
        "…and hand the conversation to a human (customer request)"
    )
    expect(result).not_to_contain_text("Bot odpowie")
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
