"""The orders board in a real browser: live cards with an alert, accept with a time, reject
with a reason (Telegram customer), and catching up after a dropped connection."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from bot.auth import create_user
from tests.adapters.sms.fake_twilio import FakeTwilio
from tests.adapters.telegram import updates
from tests.adapters.telegram.fake_api import FakeTelegramAPI
from tests.browser.chat_widget import ChatWidget
from tests.conftest import LiveServer
from tests.e2e.conftest import TG_SECRET, omnichannel_settings

CHAT = 5151
_ids = itertools.count(1)
Shop = tuple[LiveServer, FakeTelegramAPI]


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    with FakeTelegramAPI() as telegram, FakeTwilio() as twilio:
        server = LiveServer(omnichannel_settings(tmp_path, telegram, twilio))
        server.start()

        async def add_kitchen() -> None:
            async with server.app.state.core.sessions() as s:
                await create_user(s, "kuchnia@shop.pl", "correct horse", "kitchen")

        core: Any = server.app.state.core
        asyncio.run_coroutine_threadsafe(add_kitchen(), core.loop).result(10)
        yield server, telegram
        server.stop()


def open_board(browser: Browser, url: str, email: str = "kuchnia@shop.pl") -> Page:
    context = browser.new_context(locale="pl-PL", viewport={"width": 1500, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.add_init_script("window.print = () => { window.printed = (window.printed || 0) + 1; }")
    page.goto(f"{url}/orders")
    page.fill("#email", email)
    page.fill("#password", "correct horse")
    page.click("#login-button")
    expect(page.locator("#link")).to_have_class("live")
    return page


def wait_until(check: Any, within: float = 10) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


POLISH_ORDER = ("poproszę małą pepperoni", "zamawiam", "odbiór osobisty", "Ewa, 600 222 333",
                "potwierdzam, gotówka")  # fmt: skip


def order_over_rest(url: str, texts: tuple[str, ...] = POLISH_ORDER) -> str:
    """A web chat customer elsewhere orders (a small pepperoni for pickup); the number."""
    return customer_orders(url, texts)[1]


def customer_orders(url: str, texts: tuple[str, ...]) -> tuple[str, str]:
    """A web chat customer elsewhere says `texts` and so orders; their session and the number."""
    token = httpx.post(f"{url}/api/webchat/sessions").json()["session_token"]
    reply = ""
    for text in texts:
        body = {"session_token": token, "text": text, "client_message_id": f"r{next(_ids)}"}
        r = httpx.post(f"{url}/api/webchat/messages", json=body, timeout=10)
        reply = " ".join(m["text"] for m in r.json()["replies"])
    found = re.search(r"PZ-\d{5}", reply)
    assert found, reply
    return token, found.group(0)


def test_a_web_chat_order_reaches_the_board_live_and_the_customer_hears_the_time(
    browser: Browser, shop: Shop
) -> None:
    server, _ = shop
    board = open_board(browser, server.url)
    expect(board.locator("[data-column=new] .card")).to_have_count(0)

    customer = browser.new_context(locale="pl-PL").new_page()
    chat = ChatWidget(customer, server.url)
    chat.visit()
    chat.open()
    # The note and a correction typed at the summary ("bez cebuli", "jednak średnia").
    for text in ("poproszę dużą margheritę", "zamawiam", "odbiór osobisty",
                 "Jan Kowalski, 600 111 222", "bez cebuli", "jednak średnia", "kartą"):  # fmt: skip
        chat.say(text)
        expect(chat.messages("bot").last).to_be_visible()
        chat.settled_ids(quiet_s=0.2)
    number = re.search(r"PZ-\d{5}", chat.texts("bot").last.inner_text())
    assert number, chat.texts("bot").last.inner_text()

    card = board.locator(f'.card[data-number="{number.group(0)}"]')
    expect(card).to_be_visible()
    expect(card).to_contain_text("1× Margherita, średnia (32 cm)")
    expect(card).to_contain_text("Uwagi: bez cebuli")
    expect(card).to_contain_text("Jan Kowalski")
    # The number as people read it; the link dials the stored E.164 number.
    expect(card.get_by_role("link", name="600 111 222")).to_have_attribute(
        "href", "tel:+48600111222"
    )
    expect(card).to_contain_text("czat")
    expect(card).to_contain_text("Płatność: karta")
    expect(board).to_have_title(re.compile(r"^\(1\) Zamówienia"))
    assert board.evaluate("window.omnibotBoard.alerts") == 1
    if directory := os.environ.get("OMNIBOT_SCREENSHOT_DIR"):
        board.screenshot(path=str(Path(directory) / "orders-board.png"))

    card.locator("[data-print]").click()
    expect(board.locator("#ticket")).to_contain_text("1× Margherita")
    expect(board.locator("#ticket")).to_contain_text("bez cebuli")
    expect(board.locator("#ticket")).to_contain_text("Jan Kowalski 600 111 222")
    assert board.evaluate("window.printed") == 1

    card.locator('[data-eta="30"]').click()
    accepted = board.locator(f'[data-column=confirmed] .card[data-number="{number.group(0)}"]')
    expect(accepted).to_contain_text("Gotowe ok.")
    ready = accepted.locator(".ready").inner_text().split()[-1]
    expect(chat.texts("bot").last).to_contain_text(f"około {ready}")
    expect(board).to_have_title(re.compile(r"^Zamówienia"))
    told = [m for m in chat.server_history() if "około" in m["text"]]
    assert len(told) == 1  # once

    accepted.locator("[data-next=preparing]").click()
    expect(board.locator(f'[data-column=preparing] .card[data-number="{number.group(0)}"]'))
    expect(chat.texts("bot").last).to_contain_text("przygotowywane")
    customer.context.close()
    board.context.close()


def telegram_says(server: LiveServer, update: dict[str, Any]) -> None:
    r = httpx.post(
        f"{server.url}/channels/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
    )
    assert r.status_code == 200


def test_a_telegram_order_rejected_with_a_reason_reaches_the_customer(
    browser: Browser, shop: Shop
) -> None:
    server, telegram = shop
    board = open_board(browser, server.url)
    board.select_option("#lang", "en")
    for text in ("English please", "a large pepperoni please", "checkout", "pickup",
                 "Tom, 600 444 555", "confirm, cash"):  # fmt: skip
        before = len(telegram.sent_messages())
        telegram_says(server, updates.text(CHAT, text))
        wait_until(lambda: len(telegram.sent_messages()) > before)  # noqa: B023
    card = board.locator("[data-column=new] .card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("1× Pepperoni, large (42 cm)")
    expect(card).to_contain_text("Telegram")
    card.locator("select").select_option("ingredient")
    card.get_by_role("button", name="Reject").click()
    expect(board.locator("#folded-list .card")).to_contain_text("out of an ingredient")
    sent = wait_until(
        lambda: [
            c.params for c in telegram.sent_messages() if "ingredient" in c.params.get("text", "")
        ]
    )
    assert len(sent) == 1 and sent[0]["chat_id"] in (CHAT, str(CHAT))
    assert "Talk to a person" in str(sent[0].get("reply_markup"))
    board.context.close()


def test_a_typed_time_is_accepted_with_enter_and_a_wrong_one_is_explained_at_its_order(
    browser: Browser, shop: Shop
) -> None:
    server, _ = shop
    board = open_board(browser, server.url)
    number = order_over_rest(server.url)
    other = order_over_rest(server.url)
    card = board.locator(f'.card[data-number="{number}"]')
    minutes = card.get_by_role("spinbutton", name="min")
    expect(minutes).to_have_attribute("placeholder", "min")  # what to type, in the box
    for wrong in ("0", "-15", "2.5", "481"):  # a past, a malformed and a too distant time
        minutes.fill(wrong)
        minutes.press("Enter")
        # Said at the order's own controls; the page itself has nothing to complain about.
        expect(card.get_by_role("alert")).to_have_text("czas przyjęcia to od 1 do 480 minut")
        expect(board.locator("#board-error")).to_be_hidden()
    expect(board.locator("[data-column=new] .card")).to_have_count(2)  # nothing was sent
    if directory := os.environ.get("OMNIBOT_SCREENSHOT_DIR"):
        board.screenshot(path=str(Path(directory) / "board-wrong-time.png"))
    expect(board.locator(f'.card[data-number="{other}"]').get_by_role("alert")).to_be_hidden()
    # The rest of the board works meanwhile, and the explanation follows a switch of language.
    board.locator(f'.card[data-number="{other}"] [data-eta="15"]').click()
    expect(board.locator(f'[data-column=confirmed] .card[data-number="{other}"]')).to_be_visible()
    board.select_option("#lang", "en")
    expect(card.get_by_role("alert")).to_have_text("an accept time is 1 to 480 minutes")
    board.select_option("#lang", "pl")
    minutes = card.get_by_role("spinbutton", name="min")
    minutes.fill("25")
    minutes.press("Enter")
    accepted = board.locator(f'[data-column=confirmed] .card[data-number="{number}"]')
    expect(accepted).to_contain_text("Gotowe ok.")
    expect(accepted.get_by_role("alert")).to_be_hidden()
    order = httpx.get(f"{server.url}/api/orders/{number}", headers=kitchen(server.url)).json()
    assert order["history"][-1]["eta_minutes"] == 25
    board.context.close()


def kitchen(url: str) -> dict[str, str]:
    login = {"username": "kuchnia@shop.pl", "password": "correct horse"}
    token = httpx.post(f"{url}/api/auth/token", data=login).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_board_catches_up_after_a_dropped_connection(browser: Browser, shop: Shop) -> None:
    server, _ = shop
    board = open_board(browser, server.url)
    board.evaluate("window.omnibotBoard.hold(true)")
    expect(board.locator("#link")).to_have_class("down")
    first, second = order_over_rest(server.url), order_over_rest(server.url)
    board.evaluate("window.omnibotBoard.hold(false)")
    expect(board.locator("#link")).to_have_class("live")
    for number in (first, second):
        expect(board.locator(f'.card[data-number="{number}"]')).to_have_count(1)
    expect(board.locator("[data-column=new] .card")).to_have_count(2)
    assert board.evaluate("window.omnibotBoard.alerts") == 2
    board.context.close()


def test_an_operator_changes_the_delivery_time_in_the_console(browser: Browser, shop: Shop) -> None:
    server, _ = shop
    core: Any = server.app.state.core

    async def add_operator() -> None:
        async with core.sessions() as s:
            await create_user(s, "ola@shop.pl", "correct horse", "operator")

    asyncio.run_coroutine_threadsafe(add_operator(), core.loop).result(10)
    page = browser.new_context(locale="pl-PL", viewport={"width": 1400, "height": 1100}).new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{server.url}/admin#shop")
    page.fill("#email", "ola@shop.pl")
    page.fill("#password", "correct horse")
    page.click("button[type=submit]")
    expect(page.locator("#shop-delivery-minutes")).to_have_value("45-60")
    expect(page.locator("#shop-hours-sun")).to_have_value("00:00-24:00")
    page.fill("#shop-delivery-minutes", "30-40")
    page.click("#shop-form button[type=submit]")
    expect(page.locator("#saved")).to_contain_text("Zapisano dane lokalu")  # a Polish browser
    expect(page.locator("#live")).to_contain_text("na żywo: wersja 2")
    if directory := os.environ.get("OMNIBOT_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(directory) / "admin-shop.png"), full_page=True)
    token = httpx.post(f"{server.url}/api/webchat/sessions").json()["session_token"]
    body = {"session_token": token, "text": "Jak długo trwa dostawa?", "client_message_id": "q1"}
    replies = httpx.post(f"{server.url}/api/webchat/messages", json=body).json()["replies"]
    assert any("30–40" in m["text"] for m in replies), replies
    page.context.close()


def test_what_the_server_refuses_reads_in_the_boards_language(browser: Browser, shop: Shop) -> None:
    server, _ = shop
    context = browser.new_context(locale="pl-PL", viewport={"width": 1500, "height": 900})
    page = context.new_page()
    page.goto(f"{server.url}/orders")
    page.fill("#email", "kuchnia@shop.pl")
    page.fill("#password", "wrong password")
    page.click("#login-button")
    expect(page.locator("#login-error")).to_have_text("Nieprawidłowy e-mail lub hasło.")
    context.close()

    number = order_over_rest(server.url)
    board = open_board(browser, server.url)
    card = board.locator(f'.card[data-number="{number}"]')
    expect(card).to_have_count(1)
    # Another cook accepts the order while this board is cut off and still shows it as new.
    board.evaluate("window.omnibotBoard.hold(true)")
    expect(board.locator("#link")).to_have_class("down")
    path = f"{server.url}/api/orders/{number}/status"
    accepted = {"status": "confirmed", "eta_minutes": 20}
    assert httpx.post(path, json=accepted, headers=kitchen(server.url)).status_code == 200
    card.locator("button[data-eta='30']").click()
    expect(card.get_by_role("alert")).to_have_text(f"Zamówienie {number} jest już przyjęte.")
    expect(board.locator("#board-error")).to_be_hidden()
    board.context.close()


DELIVERY_ORDER = ("poproszę dużą pepperoni", "zamawiam", "dostawa", "ul. Długa 5/3, Kraków",
                  "Ewa, 600 222 333", "potwierdzam, gotówka")  # fmt: skip


def test_the_promised_time_reads_as_delivery_or_pickup_like_the_customer_was_told(
    browser: Browser, shop: Shop
) -> None:
    server, _ = shop
    board = open_board(browser, server.url)
    customer, delivered = customer_orders(server.url, DELIVERY_ORDER)
    collected = order_over_rest(server.url)
    for number in (delivered, collected):
        board.locator(f'.card[data-number="{number}"] [data-eta="30"]').click()
    delivery = board.locator(f'[data-column=confirmed] .card[data-number="{delivered}"] .ready')
    pickup = board.locator(f'[data-column=confirmed] .card[data-number="{collected}"] .ready')
    expect(delivery).to_have_text(re.compile(r"^Dostawa ok\. \d\d:\d\d$"))
    expect(pickup).to_have_text(re.compile(r"^Gotowe ok\. \d\d:\d\d$"))
    time = delivery.inner_text().split()[-1]

    def told() -> list[str]:
        history = httpx.get(f"{server.url}/api/webchat/history", params={"token": customer})
        return [m["text"] for m in history.json()["messages"] if "około" in m["text"]]

    assert f"Dostawa około {time}" in wait_until(told)[0]
    board.locator(f'.card[data-number="{delivered}"] [data-print]').click()
    expect(board.locator("#ticket")).to_contain_text("Dostawa ok.")
    expect(board.locator("#ticket")).not_to_contain_text("Gotowe")

    board.select_option("#lang", "en")
    expect(board.locator("#link")).to_have_text("live")  # not "na żywo" left over
    expect(delivery).to_have_text(re.compile(r"^Delivery at about \d\d:\d\d$"))
    expect(pickup).to_have_text(re.compile(r"^Ready at about \d\d:\d\d$"))
    if directory := os.environ.get("OMNIBOT_SCREENSHOT_DIR"):
        board.screenshot(path=str(Path(directory) / "orders-board-promised-times.png"))
    board.context.close()


def drawn_as_a_box(element: Locator) -> list[str]:
    """The characters of the element's text that its font cannot draw (shown as a box, the
    missing-glyph shape, when no installed font has them: an emoji without an emoji font)."""
    script = """(e) => {
      const font = getComputedStyle(e).font;
      const shape = (text) => {
        const canvas = document.createElement("canvas");
        canvas.width = 64; canvas.height = 64;
        const g = canvas.getContext("2d");
        g.font = font; g.textBaseline = "middle"; g.fillText(text, 4, 32);
        return Array.from(g.getImageData(0, 0, 64, 64).data).join();
      };
      const box = shape("\\u{10FFFD}");  // a private-use code point: no font draws it
      return [...new Set(e.textContent)].filter((c) => c.trim() && shape(c) === box);
    }"""
    return list(element.evaluate(script))


def test_a_customer_rates_a_finished_order_with_stars_any_browser_draws(
    browser: Browser, shop: Shop
) -> None:
    server, _ = shop
    customer = browser.new_context(locale="pl-PL").new_page()
    chat = ChatWidget(customer, server.url)
    chat.visit()
    chat.open()
    chat.wait_online()
    reply = ""
    for text in POLISH_ORDER:
        reply = " ".join(m["text"] for m in chat.send_over_rest(text)["replies"])
    found = re.search(r"PZ-\d{5}", reply)
    assert found, reply
    path = f"{server.url}/api/orders/{found.group(0)}/status"
    for step in ({"status": "confirmed", "eta_minutes": 20}, {"status": "preparing"},
                 {"status": "ready_for_pickup"}, {"status": "completed"}):  # fmt: skip
        assert httpx.post(path, json=step, headers=kitchen(server.url)).status_code == 200
    expect(chat.texts("bot").last).to_contain_text("Jak oceniasz zamówienie")
    stars = chat.quick_replies()
    expect(stars).to_have_count(5)
    chat.screenshot("rating-stars")
    # The buttons say how many stars in any browser: no emoji font needed (the headless
    # chromium here has none, and drew "⭐" as boxes).
    assert [len(chip.inner_text()) for chip in stars.all()] == [1, 2, 3, 4, 5]
    for chip in stars.all():
        assert drawn_as_a_box(chip) == [], chip.inner_text()
    four = stars.nth(3)
    title = four.inner_text()
    four.click()
    expect(chat.texts("customer").last).to_have_text(title)
    assert drawn_as_a_box(chat.texts("customer").last) == []
    expect(chat.texts("bot").last).to_contain_text("4/5")
    order = httpx.get(path.removesuffix("/status"), headers=kitchen(server.url)).json()
    assert order["rating"] == 4
    chat.screenshot("rated")
    customer.context.close()
