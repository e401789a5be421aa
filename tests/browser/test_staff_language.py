"""The staff pages speak the staff's language: Polish or English from the browser's
languages (Accept-Language), a switch in the header, the choice remembered on the device and
shared by the agent console and the orders board; and the console works on a phone."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from bot.auth import create_user
from tests.conftest import LiveServer, make_settings

AGENT = ("anna.nowak@shop.pl", "correct horse")
PHONE = {"width": 375, "height": 667}


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(make_settings(tmp_path, support_hours="00:00-23:59"))
    server.start()

    async def add_agent() -> None:
        async with server.app.state.core.sessions() as s:
            await create_user(s, *AGENT, "agent")

    core: Any = server.app.state.core
    asyncio.run_coroutine_threadsafe(add_agent(), core.loop).result(10)
    yield server
    server.stop()


def customer_asks_for_a_person(url: str) -> None:
    """A Polish web chat customer with a large capricciosa in the cart asks for a person."""
    token = httpx.post(f"{url}/api/webchat/sessions", json={"language": "pl"}).json()
    for n, text in enumerate(("poproszę dużą capricciosę", "chcę rozmawiać z człowiekiem")):
        message = {"session_token": token["session_token"], "client_message_id": f"m{n}"}
        r = httpx.post(f"{url}/api/webchat/messages", json={**message, "text": text})
        assert r.status_code == 200


def log_in(page: Page, url: str, path: str = "/agent") -> None:
    page.goto(url + path)
    page.fill("#email", AGENT[0])
    page.fill("#password", AGENT[1])
    page.click("button[type=submit]")


def test_a_polish_browser_gets_the_console_in_polish_and_a_switch_is_remembered(
    browser: Browser, shop: LiveServer
) -> None:
    customer_asks_for_a_person(shop.url)
    context = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(shop.url + "/agent")
    expect(page.locator("#login h2")).to_have_text("Zaloguj się")
    expect(page.locator("label[for=password]")).to_have_text("Hasło")
    log_in(page, shop.url)
    expect(page.locator("#list h2").first).to_have_text("Czekają")
    expect(page).to_have_title("(1) Konsola konsultanta — Omnibot")  # one customer waits
    expect(page.locator("#composer")).to_be_hidden()  # nothing to answer before a pick
    waiting = page.locator("#queue-waiting .conv")
    expect(waiting).to_contain_text("czat")
    waiting.first.click()
    summary = page.locator("#summary")
    expect(summary).to_contain_text("Przekazanie: prośba klienta.")
    expect(summary).to_contain_text("Koszyk: 1× Capricciosa, duża (42 cm) = 45,90 zł.")
    # What the customer's messages were about, in words rather than the bot's intent names.
    expect(summary).to_contain_text("dodanie do koszyka")
    expect(summary).to_contain_text("prośba o konsultanta")
    expect(summary).not_to_contain_text("human_handoff")
    expect(page.locator("#panel")).to_contain_text("Wcześniejsze przekazania")
    expect(page.locator("#messages .msg.customer").first).to_contain_text("klient · czat")
    page.get_by_role("button", name="Przejmij rozmowę").click()
    expect(page).to_have_title("Konsola konsultanta — Omnibot")  # nobody waits any more
    page.fill("#reply", "Dzień dobry, tu Anna!")
    page.get_by_role("button", name="Wyślij").click()
    expect(page.locator("#messages .msg.agent")).to_contain_text("konsultant · czat")

    page.select_option("#lang", "en")
    expect(summary).to_contain_text("Handoff: customer request.")
    expect(summary).to_contain_text("asks for a person")
    expect(page.locator("#profile")).to_contain_text("web chat: last seen ")  # not its session id
    # The thread already shown says who wrote each message in the new language too.
    expect(page.locator("#messages .msg.agent")).to_contain_text("agent · web chat")
    expect(page.locator("#messages .msg.customer").first).to_contain_text("customer · web chat")
    page.get_by_role("button", name="Resolve (back to bot)").click()
    expect(summary).not_to_contain_text("Handoff:")  # back with the bot: no longer why it waits
    expect(page.locator("#profile")).to_contain_text("customer request")  # under Past handoffs
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.locator("#list h2").first).to_have_text("Waiting")
    # A new tab on this device: not logged in yet, the form is in the language chosen here.
    other = context.new_page()
    other.goto(shop.url + "/agent")
    expect(other.locator("#login h2")).to_have_text("Log in")
    context.close()


def test_an_english_browser_gets_english_and_the_choice_follows_to_the_orders_board(
    browser: Browser, shop: LiveServer
) -> None:
    token = httpx.post(f"{shop.url}/api/webchat/sessions").json()["session_token"]
    hello = {"session_token": token, "client_message_id": "h1", "text": "cześć"}
    assert httpx.post(f"{shop.url}/api/webchat/messages", json=hello).status_code == 200
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    log_in(page, shop.url)
    expect(page.locator("#list h2").first).to_have_text("Waiting")
    expect(page.locator("#summary")).to_have_text("Pick a conversation.")
    page.select_option("#lang", "pl")
    expect(page.locator("#summary")).to_have_text("Wybierz rozmowę.")
    page.locator("#queue-bot .conv").first.click()  # a customer who never asked for a person
    handoffs = page.locator("#profile dt", has_text="Wcześniejsze przekazania")
    expect(handoffs.locator("xpath=following-sibling::dd[1]")).to_have_text("brak")
    board = context.new_page()
    log_in(board, shop.url, "/orders")
    expect(board.locator("#title")).to_have_text("Omnibot · zamówienia")
    expect(board.locator("#lang")).to_have_value("pl")
    context.close()


def test_the_console_on_a_phone_shows_the_list_then_one_conversation(
    browser: Browser, shop: LiveServer
) -> None:
    customer_asks_for_a_person(shop.url)
    context = browser.new_context(locale="pl-PL", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, shop.url)
    waiting = page.locator("#queue-waiting .conv")
    expect(waiting).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator("#thread")).to_be_hidden()
    waiting.tap()
    expect(page.locator("#list")).to_be_hidden()
    page.get_by_role("button", name="Przejmij rozmowę").tap()
    page.fill("#reply", "Już sprawdzam!")
    page.get_by_role("button", name="Wyślij").tap()
    sent = page.locator("#messages .msg.agent")
    expect(sent).to_contain_text("Już sprawdzam!")
    # The newest message and the reply box are on the screen, not below it.
    for element in (sent, page.locator("#reply"), page.get_by_role("button", name="Wyślij")):
        expect(element).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Klient →").tap()
    expect(page.locator("#profile")).to_contain_text("1× Capricciosa, duża (42 cm)")
    expect(page.locator("#messages")).to_be_hidden()
    page.get_by_role("button", name="← Rozmowa").tap()
    expect(sent).to_be_in_viewport()
    page.get_by_role("button", name="← Rozmowy").tap()
    expect(page.locator("#queue-agent .conv")).to_have_count(1)
    context.close()


def test_the_servers_refusals_and_the_role_read_in_the_consoles_language(
    browser: Browser, shop: LiveServer
) -> None:
    customer_asks_for_a_person(shop.url)
    page = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 800}).new_page()

    def news_of_the_queue_lost(page_side: WebSocketRoute) -> None:
        # A console that has not heard yet that the conversation was taken (the news is late).
        server_side = page_side.connect_to_server()

        def relay(frame: str | bytes) -> None:
            if '"queue"' not in str(frame):
                page_side.send(frame)

        server_side.on_message(relay)

    page.route_web_socket(re.compile(r"/ws/agent"), news_of_the_queue_lost)
    log_in(page, shop.url)
    expect(page.locator("#who")).to_have_text(f"{AGENT[0]} (konsultant)")
    page.locator("#queue-waiting .conv").first.click()
    expect(page.locator("#assign")).to_be_visible()
    # Another agent takes the conversation first (this console still offers to take it).
    core: Any = shop.app.state.core

    async def add_other() -> None:
        async with core.sessions() as s:
            await create_user(s, "piotr@shop.pl", "correct horse", "agent")

    asyncio.run_coroutine_threadsafe(add_other(), core.loop).result(10)
    login = {"username": "piotr@shop.pl", "password": "correct horse"}
    token = httpx.post(f"{shop.url}/api/auth/token", data=login).json()["access_token"]
    waiting = httpx.get(
        f"{shop.url}/api/agent/conversations?status=waiting_agent",
        headers={"Authorization": f"Bearer {token}"},
    ).json()["conversations"][0]["id"]
    taken = httpx.post(
        f"{shop.url}/api/agent/conversations/{waiting}/assign",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert taken.status_code == 200
    page.click("#assign")
    expect(page.locator("#thread-error")).to_have_text("Tę rozmowę prowadzi już piotr@shop.pl.")
    page.context.close()


def test_a_long_conversation_opens_on_a_phone_at_its_newest_message(
    browser: Browser, shop: LiveServer
) -> None:
    token = httpx.post(f"{shop.url}/api/webchat/sessions", json={"language": "pl"}).json()
    texts = ["poproszę dużą capricciosę", "pokaż menu", "napoje", "co mam w koszyku?",
             "ile kosztuje dostawa?", "chcę rozmawiać z człowiekiem"]  # fmt: skip
    for n, text in enumerate(texts):
        message = {"session_token": token["session_token"], "client_message_id": f"m{n}"}
        r = httpx.post(f"{shop.url}/api/webchat/messages", json={**message, "text": text})
        assert r.status_code == 200
    context = browser.new_context(locale="pl-PL", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, shop.url)
    page.locator("#queue-waiting .conv").tap()
    newest = page.locator("#messages .msg").last
    expect(newest).to_contain_text("zespołu")  # the bot's answer to the last message
    # Shown down to its end, above the reply box (which once covered the newest messages).
    shown = """el => el.getBoundingClientRect().bottom
                       <= document.getElementById('messages').getBoundingClientRect().bottom + 1"""
    assert newest.evaluate(shown)
    expect(page.locator("#reply")).to_be_in_viewport()
    context.close()


def test_the_reply_box_fits_the_smallest_phone(browser: Browser, shop: LiveServer) -> None:
    customer_asks_for_a_person(shop.url)
    small = {"width": 320, "height": 568}
    context = browser.new_context(locale="pl-PL", viewport=small, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, shop.url)
    page.locator("#queue-waiting .conv").tap()
    page.get_by_role("button", name="Przejmij rozmowę").tap()
    # The reply box, the canned answers and the buttons all end inside the screen.
    for element in (page.locator("#reply"), page.locator("#canned"), page.locator("#send")):
        expect(element).to_be_in_viewport()
        box = element.bounding_box()
        assert box is not None and box["x"] + box["width"] <= small["width"], box
    context.close()


def test_a_conversation_another_agent_took_is_listed_with_their_name_and_read_only(
    browser: Browser, shop: LiveServer
) -> None:
    core: Any = shop.app.state.core

    async def add_colleague() -> None:
        async with core.sessions() as s:
            await create_user(s, "piotr@shop.pl", AGENT[1], "agent")

    asyncio.run_coroutine_threadsafe(add_colleague(), core.loop).result(10)
    customer_asks_for_a_person(shop.url)
    context = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in(page, shop.url)
    expect(page.locator("#queue-waiting .conv")).to_have_count(1)

    # A colleague takes the customer: the conversation moves to "taken by others", with whose.
    token = httpx.post(
        f"{shop.url}/api/auth/token", data={"username": "piotr@shop.pl", "password": AGENT[1]}
    ).json()["access_token"]
    conversation = page.locator("#queue-waiting .conv").first.get_attribute("data-conversation")
    taken = httpx.post(
        f"{shop.url}/api/agent/conversations/{conversation}/assign",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert taken.status_code == 200
    expect(page.locator("#queue-waiting .conv")).to_have_count(0)
    expect(page.locator("#queue-agent .conv")).to_have_count(0)
    others = page.locator("#queue-others .conv")
    expect(others).to_have_count(1)
    expect(others).to_contain_text("prowadzi piotr@shop.pl")

    others.click()
    expect(page.locator("#messages .msg.customer").first).to_be_visible()
    expect(page.locator("#owner")).to_contain_text("Tę rozmowę prowadzi piotr@shop.pl")
    expect(page.get_by_role("button", name="Przejmij rozmowę")).to_be_hidden()
    expect(page.get_by_role("button", name="Wyślij")).to_be_disabled()
    expect(page.get_by_role("button", name="Oddaj botowi")).to_be_disabled()
    page.fill("#reply", "Klient prosił o szybki kontakt")  # a note for the colleague
    page.get_by_role("button", name="Dodaj notatkę prywatną").click()
    expect(page.locator("#messages .msg.private")).to_contain_text("szybki kontakt")
    if directory := os.environ.get("OMNIBOT_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(directory) / "agent-taken-by-others.png"))

    page.select_option("#lang", "en")
    expect(page.locator("#list h2").nth(2)).to_have_text("Taken by others")
    expect(others).to_contain_text("with piotr@shop.pl")
    expect(page.locator("#owner")).to_contain_text("piotr@shop.pl has this conversation")
    context.close()
