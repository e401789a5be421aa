"""A Polish operator in /admin: the console in Polish, money typed as on a receipt ("22,50"),
the change on the shop's page at once; and every tab fits a phone."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.browser.conftest import OPERATOR
from tests.conftest import LiveServer

PHONE = {"width": 375, "height": 667}


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/admin")
    page.fill("#email", OPERATOR[0])
    page.fill("#password", OPERATOR[1])
    page.click("#login button[type=submit]")
    expect(page.locator("#who")).to_contain_text("operator")


def polish_console(browser: Browser, url: str, tab: str | None = None) -> Page:
    """The operator console in Polish on a desktop, logged in, on `tab` if one is named."""
    console = browser.new_page(locale="pl-PL", viewport={"width": 1280, "height": 800})
    log_in(console, url)
    if tab:
        console.get_by_role("tab", name=tab).click()
    return console


def settled(server: LiveServer) -> None:
    content = server.app.state.content
    loop = server.app.state.runtime.core.loop
    assert asyncio.run_coroutine_threadsafe(content.settled(30), loop).result(40)


def test_a_polish_operator_types_prices_in_zloty_and_the_shop_page_shows_them(
    browser: Browser, operator_server: LiveServer
) -> None:
    console = browser.new_page(locale="pl-PL", viewport={"width": 1280, "height": 800})
    console.goto(f"{operator_server.url}/admin")
    expect(console.locator("#login h2")).to_have_text("Zaloguj się")
    log_in(console, operator_server.url)
    expect(console.get_by_role("tab", name="Produkty")).to_be_visible()
    console.get_by_role("tab", name="Produkty").click()
    console.locator("#product-list button", has_text="Margherita").first.click()
    small = console.get_by_label("mała (25 cm)")
    expect(small).to_have_value("24,90")

    small.fill("22,5x")
    console.get_by_role("button", name="Zapisz produkt").click()
    refused = "mała (25 cm): „22,5x” to nie cena — wpisz np. 24,90"
    expect(console.locator("#error")).to_have_text(refused)
    small.fill("22,50")
    console.get_by_role("button", name="Zapisz produkt").click()
    expect(console.locator("#saved")).to_contain_text("Zapisano produkt Margherita — wersja")
    expect(console.locator("#error")).to_have_text("")

    console.get_by_role("tab", name="Lokal").click()
    expect(console.locator("#saved")).to_have_text("")  # what was said belonged to Produkty
    fee = console.get_by_label("Opłata za dostawę (zł)")
    expect(fee).to_have_value("9,90")
    fee.fill("6,90")
    console.get_by_role("button", name="Zapisz dane lokalu").click()
    expect(console.locator("#saved")).to_contain_text("Zapisano dane lokalu")
    settled(operator_server)

    shop = browser.new_page(locale="pl-PL")
    shop.goto(f"{operator_server.url}/")
    margherita = shop.locator("tr", has_text="Margherita").first
    expect(margherita.locator("td.price")).to_have_text(["22,50 zł", "32,90 zł", "39,90 zł"])
    expect(shop.locator('[data-fact="delivery_fee"]')).to_have_text("6,90 zł")
    expect(shop.locator('h3:has([data-fact="min_order_value"])')).to_have_text("min. 30,00 zł")
    shop.close()
    console.close()


def test_every_tab_of_the_operator_console_fits_a_phone(
    browser: Browser, operator_server: LiveServer
) -> None:
    context = browser.new_context(locale="pl-PL", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, operator_server.url)
    expect(page.get_by_role("button", name="Wyloguj")).to_be_in_viewport()
    for tab in ("intents", "faq", "products", "shop", "history", "try", "conflicts", "files",
                "analytics"):  # fmt: skip
        page.locator(f"nav button[data-tab={tab}]").tap()
        expect(page.locator(f"#tab-{tab}")).to_be_visible()
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{tab}: the page is {width} px wide"
    context.close()


def test_a_refused_faq_answer_is_explained_in_polish_and_nothing_is_saved(
    browser: Browser, operator_server: LiveServer
) -> None:
    console = polish_console(browser, operator_server.url, "FAQ")
    console.locator("#faq-list button").first.wait_for()
    entries = console.locator("#faq-list button").count()
    console.get_by_role("button", name="Nowy wpis FAQ").click()
    console.fill("#faq-q-pl", "czy macie hot dogi?")
    console.fill("#faq-a-pl", "Nie, ale dowozimy pizzę w 45–60 minut.")
    console.get_by_role("button", name="Zapisz wpis FAQ").click()
    expect(console.locator("#error")).to_have_text(
        "FAQ czy-macie-hot-dogi: odpowiedź (pl) podaje fakty o lokalu wprost; napisz zamiast"
        " tego {delivery_time}, żeby tekst zmieniał się razem z danymi lokalu."
    )
    expect(console.locator("#faq-list button")).to_have_count(entries)  # nothing saved
    # An answer in English only: the default language is named in words.
    console.fill("#faq-a-pl", "")
    console.fill("#faq-a-en", "No, but we have pizza.")
    console.get_by_role("button", name="Zapisz wpis FAQ").click()
    expect(console.locator("#error")).to_have_text(
        "Wpis FAQ potrzebuje odpowiedzi w języku polskim (domyślnym)."
    )
    console.select_option("#lang", "en")
    console.get_by_role("button", name="Save FAQ entry").click()
    expect(console.locator("#error")).to_have_text(
        "An FAQ entry needs an answer in Polish (the default language)."
    )
    expect(console.locator("#faq-list button")).to_have_count(entries)
    console.close()


def test_a_new_intent_named_like_an_existing_one_is_refused_and_the_old_one_kept(
    browser: Browser, operator_server: LiveServer
) -> None:
    console = polish_console(browser, operator_server.url, "Intencje")
    console.locator("#intent-list button", has_text="greet").first.click()
    expect(console.locator("#intent-name")).to_have_value("greet")
    examples = console.locator("#intent-ex-pl").input_value()
    assert len(examples.splitlines()) > 1
    console.get_by_role("button", name="Nowa intencja").click()
    console.fill("#intent-name", "greet")
    console.fill("#intent-ex-pl", "coś")
    console.get_by_role("button", name="Zapisz intencję").click()
    expect(console.locator("#error")).to_have_text(
        "Intencja greet już istnieje — otwórz ją z listy, żeby ją zmienić."
    )
    console.locator("#intent-list button", has_text="greet").first.click()
    expect(console.locator("#intent-ex-pl")).to_have_value(examples)  # nothing replaced
    console.close()


def test_wrong_opening_hours_are_explained_in_polish(
    browser: Browser, operator_server: LiveServer
) -> None:
    console = polish_console(browser, operator_server.url, "Lokal")
    monday = console.locator("#shop-hours input").first
    expect(monday).not_to_have_value("")
    monday.fill("25:00-26:00")
    console.get_by_role("button", name="Zapisz dane lokalu").click()
    expect(console.locator("#error")).to_have_text(
        "Godziny (pon): „25:00-26:00” to nie przedział GG:MM-GG:MM (ani „closed”)."
    )
    console.close()


def test_the_intent_list_previews_each_intent_in_the_consoles_language(
    browser: Browser, operator_server: LiveServer
) -> None:
    console = polish_console(browser, operator_server.url)
    add = console.locator("#intent-list button", has_text="add_to_cart")
    expect(add).to_contain_text("— poproszę margheritę")
    console.select_option("#lang", "en")
    expect(add).to_contain_text("— I'd like a margherita")


def test_a_saved_intent_is_named_by_its_label_in_the_consoles_language(
    browser: Browser, operator_server: LiveServer
) -> None:
    console = polish_console(browser, operator_server.url)
    console.locator("#intent-list button[data-intent=opening_hours]").click()
    expect(console.locator("#intent-name")).to_have_value("opening_hours")
    examples = console.locator("#intent-ex-pl")
    examples.fill(examples.input_value() + "\no której otwieracie dzisiaj")
    console.get_by_role("button", name="Zapisz intencję").click()
    expect(console.locator("#saved")).to_have_text(
        re.compile(r"^Zapisano intencję godziny otwarcia \(opening_hours\) — wersja \d+")
    )
    console.select_option("#lang", "en")
    examples.fill(examples.input_value() + "\nare you open today")
    console.get_by_role("button", name="Save intent").click()
    expect(console.locator("#saved")).to_have_text(
        re.compile(r"^Saved intent opening hours \(opening_hours\) — version \d+")
    )
    console.close()


def test_try_it_shows_what_a_customer_asking_for_a_person_is_told_and_why_in_words(
    browser: Browser, operator_server: LiveServer
) -> None:
    console = polish_console(browser, operator_server.url, "Wypróbuj")
    console.fill("#try-text", "chcę rozmawiać z człowiekiem")
    console.get_by_role("button", name="Wypróbuj").click()
    result = console.locator("#try-result")
    expect(result).to_contain_text("Intencja: prośba o konsultanta (human_handoff)")
    expect(result).to_contain_text(re.compile(r"\(\d+,\d%\) · język pl"))  # a decimal comma
    # The bot's answer is there to read, not an empty "Bot odpowie".
    expect(result.locator(".try-reply")).to_have_count(1)
    expect(result.locator(".try-reply")).to_contain_text("zesp")
    expect(result.locator(".warn")).to_have_text("…i przekaże rozmowę człowiekowi (prośba klienta)")
    console.select_option("#lang", "en")
    console.get_by_role("button", name="Try").click()
    expect(result.locator(".warn")).to_have_text(
        "…and hand the conversation to a human (customer request)"
    )
    console.close()


def test_a_new_intent_can_be_deleted_right_after_it_is_saved(
    browser: Browser, operator_server: LiveServer
) -> None:
    console = polish_console(browser, operator_server.url, "Intencje")
    console.on("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name="Nowa intencja").click()
    console.fill("#intent-name", "gift_cards")
    console.fill("#intent-ex-pl", "czy macie karty podarunkowe\nbon prezentowy")
    console.get_by_role("button", name="Zapisz intencję").click()
    expect(console.locator("#saved")).to_contain_text("Zapisano intencję gift_cards")
    expect(console.locator("#intent-list button[data-intent=gift_cards]")).to_have_class("active")
    console.get_by_role("button", name="Usuń", exact=True).click()
    expect(console.locator("#saved")).to_contain_text("Usunięto intencję gift_cards")
    expect(console.locator("#intent-list button[data-intent=gift_cards]")).to_have_count(0)
    console.close()


def test_on_a_phone_what_is_picked_from_a_list_opens_in_view(
    browser: Browser, operator_server: LiveServer
) -> None:
    context = browser.new_context(locale="pl-PL", viewport=PHONE)
    console = context.new_page()
    log_in(console, operator_server.url)
    # The editor is under the list on a phone: a tap on the list brings it into view.
    console.locator("#intent-list button[data-intent=greet]").click()
    expect(console.locator("#intent-name")).to_have_value("greet")
    expect(console.locator("#intent-name")).to_be_in_viewport()
    console.get_by_role("tab", name="FAQ").click()
    console.locator("#faq-list button").first.click()
    expect(console.locator("#faq-q-pl")).not_to_have_value("")
    expect(console.locator("#faq-id")).to_be_in_viewport()
    console.get_by_role("tab", name="Produkty").click()
    console.get_by_role("button", name="Nowy produkt").click()
    expect(console.locator("#product-id")).to_be_in_viewport()
    context.close()


def test_conflicts_list_what_to_fix_by_intent_pair_and_fold_the_hints_away(
    browser: Browser, operator_server: LiveServer
) -> None:
    console = polish_console(browser, operator_server.url, "Konflikty")
    found = console.locator(".conflicts-found")
    console.get_by_role("button", name="Sprawdź teraz").click()
    # The demo content: nothing to fix; the cross-validation hints are folded, counted.
    expect(found.locator("h3")).to_have_text("Konflikty do poprawienia: 0", timeout=120_000)
    expect(found).to_contain_text("Brak konfliktów")
    hints = console.locator(".conflict-hints")
    expect(hints.locator("h3")).to_contain_text("Wskazówki: ")
    expect(hints).not_to_have_attribute("open", "")  # one line until opened
    expect(hints.locator("li").first).to_be_hidden()
    hints.locator("summary").first.click()
    expect(hints.locator("details").first).to_be_visible()  # a pair, counted, still folded
    expect(hints.locator("li").first).to_be_hidden()

    # The same goodbye, typed with a capital and a "!", put into the greeting by mistake.
    console.get_by_role("tab", name="Intencje").click()
    console.locator('#intent-list button[data-intent="greet"]').click()
    examples = console.locator("#intent-ex-pl")
    examples.fill(examples.input_value() + "\nDo widzenia!")
    console.get_by_role("button", name="Zapisz intencję").click()
    expect(console.locator("#saved")).to_contain_text("Zapisano intencję powitanie (greet)")
    settled(operator_server)
    console.get_by_role("tab", name="Konflikty").click()
    console.get_by_role("button", name="Sprawdź teraz").click()
    expect(found.locator("h3")).to_have_text("Konflikty do poprawienia: 1", timeout=120_000)
    expect(found.locator("h4")).to_have_text(
        "pożegnanie (goodbye) ↔ powitanie (greet) — 1 konflikt"
    )
    expect(found.locator("li")).to_have_text(
        "„do widzenia” jest w każdej z nich: pożegnanie (goodbye), powitanie (greet)"
    )
    if directory := os.environ.get("OMNIBOT_SCREENSHOT_DIR"):
        console.screenshot(path=str(Path(directory) / "admin-conflicts.png"), full_page=True)
    console.select_option("#lang", "en")
    expect(found.locator("h3")).to_have_text("Conflicts to fix: 1")
    expect(found.locator("h4")).to_have_text("goodbye ↔ greeting (greet) — 1 conflict")
    console.close()


def test_saving_a_faq_entry_keeps_the_intent_it_answers(
    browser: Browser, operator_server: LiveServer
) -> None:
    console = polish_console(browser, operator_server.url, "FAQ")
    console.locator("#faq-list button", has_text="W jakich godzinach").click()
    expect(console.locator("#faq-id")).to_have_value("opening-hours")
    console.get_by_role("button", name="Zapisz wpis FAQ").click()
    # Nothing typed, nothing changed: the link to the intent it answers is not dropped.
    expect(console.locator("#saved")).to_have_text("Nic do zapisania")
    answer = console.locator("#faq-a-pl")
    answer.fill(answer.input_value() + " Zapraszamy!")
    console.get_by_role("button", name="Zapisz wpis FAQ").click()
    # Named as staff know it (its first question), in the language switched to as well.
    saved = console.locator("#saved")
    expect(saved).to_contain_text("Zapisano FAQ „W jakich godzinach jesteście otwarci?” — wersja")
    console.select_option("#lang", "en")
    expect(saved).to_contain_text("Saved FAQ “What are your opening hours?” — version")
    token = httpx.post(
        f"{operator_server.url}/api/auth/token",
        data={"username": OPERATOR[0], "password": OPERATOR[1]},
    ).json()["access_token"]
    entry = httpx.get(
        f"{operator_server.url}/api/admin/faq/opening-hours",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert entry["intent"] == "opening_hours"
    assert entry["answers"]["pl"].endswith("Zapraszamy!")
    console.close()


def test_deleting_a_faq_entry_asks_with_its_question_marked_once(
    browser: Browser, operator_server: LiveServer
) -> None:
    """The entry is named by its first question, which ends with a question mark of its own."""
    console = polish_console(browser, operator_server.url, "FAQ")
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()  # nothing deleted

    console.on("dialog", answer)
    console.locator("#faq-list button", has_text="W jakich godzinach").click()
    expect(console.locator("#faq-id")).to_have_value("opening-hours")
    console.get_by_role("button", name="Usuń", exact=True).click()
    console.select_option("#lang", "en")
    console.get_by_role("button", name="Delete", exact=True).click()
    assert asked == [
        "Usunąć wpis FAQ „W jakich godzinach jesteście otwarci?”",
        "Delete FAQ entry “What are your opening hours?”",
    ]
    expect(console.locator("#faq-list button", has_text="opening-hours")).to_have_count(1)
    console.close()


def test_switching_the_language_keeps_what_was_typed_and_not_saved(
    browser: Browser, operator_server: LiveServer
) -> None:
    """The forms are drawn again in the new language (day names, payment methods, sizes),
    with the unsaved edits still in them; saving then saves those edits."""
    console = polish_console(browser, operator_server.url, "Lokal")
    fee = console.get_by_label("Opłata za dostawę (zł)")
    expect(fee).to_have_value("9,90")
    fee.fill("6,90")
    console.get_by_label("pon").fill("11:00-21:00")
    cash_on_delivery = console.locator("#shop-pay-delivery-cash")
    expect(cash_on_delivery).to_be_checked()
    cash_on_delivery.uncheck()
    console.select_option("#lang", "en")
    expect(console.get_by_label("Mon")).to_have_value("11:00-21:00")
    expect(console.get_by_label("Delivery fee (zł)")).to_have_value("6,90")
    expect(cash_on_delivery).not_to_be_checked()
    expect(console.locator("#shop-pay-delivery")).to_contain_text("cash")
    console.get_by_role("button", name="Save shop details").click()
    expect(console.locator("#saved")).to_contain_text("Saved shop details")

    console.get_by_role("tab", name="Products").click()
    console.locator("#product-list button", has_text="Margherita").first.click()
    small = console.get_by_label("small (25 cm)")
    expect(small).to_have_value("24,90")
    small.fill("21,90")
    console.select_option("#lang", "pl")
    expect(console.get_by_label("mała (25 cm)")).to_have_value("21,90")

    token = httpx.post(
        f"{operator_server.url}/api/auth/token",
        data={"username": OPERATOR[0], "password": OPERATOR[1]},
    ).json()["access_token"]
    shop = httpx.get(
        f"{operator_server.url}/api/admin/shop", headers={"Authorization": f"Bearer {token}"}
    ).json()["shop"]
    assert shop["delivery_fee"] == 690 and shop["hours"]["mon"] == "11:00-21:00"
    assert "cash" not in shop["payment_methods"]["delivery"]
    console.close()


def test_the_intent_chart_draws_its_bars_after_the_longest_label(
    browser: Browser, operator_server: LiveServer
) -> None:
    """'rozmowa z konsultantem' (a message to a person) ran under a bar that began at 130 px."""
    url = operator_server.url
    token = httpx.post(f"{url}/api/webchat/sessions").json()["session_token"]
    staff_token = httpx.post(
        f"{url}/api/auth/token", data={"username": OPERATOR[0], "password": OPERATOR[1]}
    ).json()["access_token"]
    staff = {"Authorization": f"Bearer {staff_token}"}
    for n, text in enumerate(["poproszę margheritę", "chcę rozmawiać z człowiekiem"]):
        body = {"session_token": token, "text": text, "client_message_id": f"m{n}"}
        assert httpx.post(f"{url}/api/webchat/messages", json=body).status_code == 200
    waiting = httpx.get(f"{url}/api/agent/conversations?status=waiting_agent", headers=staff)
    conversation = waiting.json()["conversations"][0]["id"]
    taken = httpx.post(f"{url}/api/agent/conversations/{conversation}/assign", headers=staff)
    assert taken.status_code == 200
    body = {"session_token": token, "text": "dziękuję za pomoc", "client_message_id": "m9"}
    assert httpx.post(f"{url}/api/webchat/messages", json=body).status_code == 200

    console = polish_console(browser, url, "Analityka")
    chart = console.locator("#chart-intents svg")
    expect(chart).to_contain_text("rozmowa z konsultantem")
    overlaps = chart.evaluate(
        """svg => [...svg.querySelectorAll('rect')].filter((bar) => {
          const label = bar.previousElementSibling.getBBox();
          return label.x + label.width > bar.x.baseVal.value;
        }).map((bar) => bar.previousElementSibling.textContent)"""
    )
    assert overlaps == []
    console.close()
