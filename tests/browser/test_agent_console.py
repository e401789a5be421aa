"""An agent takes over a Telegram conversation in the console; the customer moves to SMS."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from bot.auth import create_user
from tests.adapters.sms.fake_twilio import FakeTwilio, inbound_form, twilio_signature
from tests.adapters.telegram import updates
from tests.adapters.telegram.fake_api import FakeTelegramAPI
from tests.browser.test_orders_board import POLISH_ORDER, customer_orders, open_board
from tests.conftest import LiveServer, make_settings
from tests.e2e.conftest import PUBLIC_URL, TG_SECRET, omnichannel_settings

PHONE = "+48600111222"
CHAT = 4242


@pytest.fixture
def omni(tmp_path: Path) -> Iterator[tuple[LiveServer, FakeTelegramAPI, FakeTwilio]]:
    with FakeTelegramAPI() as telegram, FakeTwilio() as twilio:
        settings = omnichannel_settings(tmp_path, telegram, twilio, support_hours="00:00-23:59")
        server = LiveServer(settings)
        server.start()

        async def add_agent() -> None:
            async with server.app.state.core.sessions() as s:
                await create_user(s, "ala@shop.pl", "correct horse", "agent")

        asyncio.run_coroutine_threadsafe(add_agent(), server_loop(server)).result(10)
        yield server, telegram, twilio
        server.stop()


def server_loop(server: LiveServer) -> asyncio.AbstractEventLoop:
    return server.app.state.runtime.core.loop  # type: ignore[no-any-return]


def telegram_says(server: LiveServer, update: dict[str, Any]) -> None:
    r = httpx.post(
        f"{server.url}/channels/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
    )
    assert r.status_code == 200


def sms_says(server: LiveServer, body: str) -> None:
    form = inbound_form(body, from_=PHONE)
    sig = twilio_signature(PUBLIC_URL + "/channels/sms/twilio", form)
    r = httpx.post(
        f"{server.url}/channels/sms/twilio", data=form, headers={"X-Twilio-Signature": sig}
    )
    assert r.status_code == 200


def wait_until(check: Any, within: float = 10) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_agent_takes_over_from_telegram_and_follows_the_customer_to_sms(
    browser: Browser, omni: tuple[LiveServer, FakeTelegramAPI, FakeTwilio]
) -> None:
    server, telegram, twilio = omni
    telegram_says(server, updates.text(CHAT, "poproszę dużą pepperoni"))
    telegram_says(server, updates.text(CHAT, "chcę rozmawiać z człowiekiem"))
    wait_until(
        lambda: any("zespołu" in c.params.get("text", "") for c in telegram.calls_to("sendMessage"))
    )

    page = browser.new_page()
    page.goto(f"{server.url}/agent")
    page.fill("#email", "ala@shop.pl")
    page.fill("#password", "correct horse")
    page.click("button[type=submit]")
    waiting = page.locator("#queue-waiting .conv")
    expect(waiting).to_have_count(1)
    expect(waiting.first).to_contain_text("Telegram")
    expect(waiting.first).to_contain_text("chcę rozmawiać z człowiekiem")  # not the bot's reply
    waiting.first.click()
    expect(page.locator("#summary")).to_contain_text("Pepperoni")
    expect(page.locator("#messages")).to_contain_text("poproszę dużą pepperoni")
    page.click("#assign")
    expect(page.locator("#send")).to_be_enabled()
    page.fill("#reply", "Dzień dobry, tu Ala z pizzerii!")
    page.click("#send")
    wait_until(
        lambda: any(
            c.params.get("text") == "Dzień dobry, tu Ala z pizzerii!"
            for c in telegram.calls_to("sendMessage")
        )
    )

    # The customer shares their own phone on Telegram, then writes by SMS: the agent sees it live.
    telegram_says(server, updates.contact(CHAT, PHONE.lstrip("+"), CHAT))
    sms_says(server, "Piszę teraz SMS-em, czy zdążycie do 19?")
    expect(page.locator("#messages")).to_contain_text("Piszę teraz SMS-em")
    expect(page.locator("#messages .msg.customer").last).to_contain_text("SMS")
    # Opened again, the summary names what the customer wrote to the person in words.
    page.locator("#queue-agent .conv").first.click()
    expect(page.locator("#summary")).to_contain_text("Recent topics: talking to an agent")
    page.select_option("#lang", "pl")
    expect(page.locator("#summary")).to_contain_text("Ostatnie tematy: rozmowa z konsultantem")
    page.select_option("#lang", "en")

    page.fill("#reply", "Tak, zdążymy!")
    page.click("#send")
    wait_until(lambda: any("zdążymy" in m.body for m in twilio.messages_to(PHONE)))

    page.click("#resolve")
    expect(page.locator("#queue-waiting .conv")).to_have_count(0)
    before = len(twilio.messages_to(PHONE))
    sms_says(server, "koszyk")
    replies = wait_until(
        lambda: [m.body for m in twilio.messages_to(PHONE)[before:] if "Pepperoni" in m.body]
    )
    assert replies  # the bot is back, with the Telegram cart
    page.close()


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(make_settings(tmp_path, support_hours="00:00-23:59"))
    server.start()

    async def add_staff() -> None:
        async with server.app.state.core.sessions() as s:
            await create_user(s, "ala@shop.pl", "correct horse", "agent")
            await create_user(s, "ola@shop.pl", "correct horse", "operator")

    asyncio.run_coroutine_threadsafe(add_staff(), server_loop(server)).result(10)
    yield server
    server.stop()


def console_of(browser: Browser, server: LiveServer, email: str) -> Any:
    page = browser.new_page()
    page.goto(f"{server.url}/agent")
    page.fill("#email", email)
    page.fill("#password", "correct horse")
    page.click("button[type=submit]")
    waiting = page.locator("#queue-waiting .conv")
    expect(waiting).to_have_count(1)
    waiting.first.click()
    expect(page.locator("#messages")).to_contain_text("z człowiekiem")
    return page


def test_an_operator_ends_a_customers_web_chat_sessions_from_the_console(
    browser: Browser, shop: LiveServer
) -> None:
    chat = httpx.post(f"{shop.url}/api/webchat/sessions").json()
    message = {"session_token": chat["session_token"], "client_message_id": "m1"}
    r = httpx.post(
        f"{shop.url}/api/webchat/messages", json={**message, "text": "chcę rozmawiać z człowiekiem"}
    )
    assert r.status_code == 200

    agent = console_of(browser, shop, "ala@shop.pl")
    expect(agent.locator("#panel")).to_contain_text("web chat")
    expect(agent.locator("#end-webchat")).to_have_count(0)  # an agent may not
    agent.close()

    operator = console_of(browser, shop, "ola@shop.pl")
    operator.once("dialog", lambda dialog: dialog.accept())
    # The answer is held until the note it causes has redrawn the thread: the outcome must
    # survive that redraw whichever comes first.
    held: list[Any] = []
    operator.route("**/webchat/end-sessions", lambda route: held.append(route))
    operator.click("#end-webchat")
    wait_until(lambda: held)
    operator.eval_on_selector("#end-webchat-result", "p => p.dataset.before = 'yes'")
    answer = held[0].fetch()
    expect(operator.locator("#messages")).to_contain_text("ended the web chat")
    expect(operator.locator("#end-webchat-result:not([data-before])")).to_have_count(1)
    held[0].fulfill(response=answer)
    expect(operator.locator("#end-webchat-result")).to_have_text("Ended 1 web chat session.")
    history = httpx.get(f"{shop.url}/api/webchat/history", params={"token": chat["session_token"]})
    assert history.status_code == 401  # the customer's browser is signed out
    operator.close()


def test_the_agent_sees_the_customer_end_the_chat_and_a_later_reply_go_undelivered(
    browser: Browser, shop: LiveServer
) -> None:
    chat = httpx.post(f"{shop.url}/api/webchat/sessions").json()
    message = {"session_token": chat["session_token"], "client_message_id": "m1"}
    r = httpx.post(
        f"{shop.url}/api/webchat/messages", json={**message, "text": "chcę rozmawiać z człowiekiem"}
    )
    assert r.status_code == 200

    agent = browser.new_page()
    agent.goto(f"{shop.url}/agent")
    agent.fill("#email", "ala@shop.pl")
    agent.fill("#password", "correct horse")
    with agent.expect_websocket() as opened:
        agent.click("button[type=submit]")
    live = opened.value
    agent.locator("#queue-waiting .conv").first.click()
    # The console's socket is subscribed once it answers a watch: the note comes live.
    with live.expect_event("framereceived", predicate=lambda f: '"watching"' in str(f)):
        agent.click("#assign")
    expect(agent.locator("#send")).to_be_enabled()
    forget = {"session_token": chat["session_token"]}
    assert httpx.post(f"{shop.url}/api/webchat/sessions/forget", json=forget).status_code == 204
    note = agent.locator("#messages .msg.private")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("The customer ended the web chat.")
    # Nobody can be answered there any more: the conversation leaves "Mine" for the bot's
    # list, and the console offers to take it rather than to reply.
    expect(agent.locator("#queue-agent .conv")).to_have_count(0)
    expect(agent.locator("#queue-bot .conv")).to_have_count(1)
    expect(agent.locator("#send")).to_be_disabled()
    expect(agent.locator("#assign")).to_be_visible()
    agent.click("#assign")
    expect(agent.locator("#send")).to_be_enabled()
    agent.fill("#reply", "Are you still there?")
    agent.click("#send")
    reply = agent.locator("#messages .msg.agent")
    expect(reply).to_contain_text("Are you still there?")
    expect(reply).to_contain_text("not delivered: the customer cannot be reached")
    agent.close()


def web_chat_says(server: LiveServer, token: str, cmid: str, text: str) -> None:
    r = httpx.post(
        f"{server.url}/api/webchat/messages",
        json={"session_token": token, "client_message_id": cmid, "text": text},
    )
    assert r.status_code == 200


def log_in(page: Any, server: LiveServer, waiting: int = 1) -> None:
    page.goto(f"{server.url}/agent")
    page.fill("#email", "ala@shop.pl")
    page.fill("#password", "correct horse")
    page.click("button[type=submit]")
    expect(page.locator("#queue-waiting .conv")).to_have_count(waiting)


def test_a_message_that_arrives_while_the_console_opens_a_conversation_is_shown(
    browser: Browser, shop: LiveServer
) -> None:
    token = httpx.post(f"{shop.url}/api/webchat/sessions").json()["session_token"]
    web_chat_says(shop, token, "m1", "chcę z człowiekiem")
    agent = browser.new_page()
    log_in(agent, shop)

    # The conversation's answer is made, then the customer writes, then the answer reaches
    # the console: the message is in neither the answer nor (if the console subscribes only
    # after reading it) the live feed.
    held: list[Any] = []

    def customer_writes_meanwhile(route: Any) -> None:
        if held:  # once: later reads of the conversation go through
            route.continue_()
            return
        held.append(route)
        answer = route.fetch()
        web_chat_says(shop, token, "m2", "Jestem tu nadal")
        route.fulfill(response=answer)

    agent.route(re.compile(r".*/api/agent/conversations/\d+$"), customer_writes_meanwhile)
    agent.locator("#queue-waiting .conv").first.click()
    expect(agent.locator("#messages")).to_contain_text("chcę z człowiekiem")
    expect(agent.locator("#messages")).to_contain_text("Jestem tu nadal")
    expect(agent.locator("#messages .msg", has_text="Jestem tu nadal")).to_have_count(1)
    agent.close()


def test_a_message_that_arrives_while_the_console_is_disconnected_is_shown_on_reconnecting(
    browser: Browser, shop: LiveServer
) -> None:
    token = httpx.post(f"{shop.url}/api/webchat/sessions").json()["session_token"]
    web_chat_says(shop, token, "m1", "chcę z człowiekiem")
    agent = browser.new_page()
    sockets: list[Any] = []

    # The console's socket goes through here; the second one (its reconnect) reaches the
    # server only after the customer wrote while it was away.
    def relay(socket: Any) -> None:
        if sockets:
            web_chat_says(shop, token, "m2", "Halo, jest tam ktoś?")
        sockets.append(socket)
        socket.connect_to_server()

    agent.route_web_socket(re.compile(r".*/ws/agent.*"), relay)
    log_in(agent, shop)
    agent.locator("#queue-waiting .conv").first.click()
    expect(agent.locator("#messages")).to_contain_text("chcę z człowiekiem")
    sockets[0].close()  # the connection drops; the console reconnects by itself
    expect(agent.locator("#messages")).to_contain_text("Halo, jest tam ktoś?")
    expect(agent.locator("#messages .msg", has_text="Halo, jest tam ktoś?")).to_have_count(1)
    assert len(sockets) == 2
    agent.close()


def test_the_request_being_answered_is_not_listed_among_earlier_handoffs(
    browser: Browser, shop: LiveServer
) -> None:
    token = httpx.post(f"{shop.url}/api/webchat/sessions").json()["session_token"]
    web_chat_says(shop, token, "m1", "chcę rozmawiać z człowiekiem")
    agent = browser.new_context(locale="pl-PL").new_page()
    log_in(agent, shop)
    agent.locator("#queue-waiting .conv").first.click()
    summary, earlier = agent.locator("#summary"), agent.locator("#past-handoffs li")
    expect(summary).to_contain_text("Przekazanie: prośba klienta.")
    expect(earlier).to_have_text(["brak"])  # this request is the current one, not an earlier
    # Replying waits for taking the conversation, and the reply button looks it.
    send = agent.locator("#send")
    expect(send).to_be_disabled()
    expect(send).to_have_css("opacity", "0.5")

    agent.click("#assign")
    expect(send).to_have_css("opacity", "1")
    reply = "Dzień dobry, tu Ala — sprawdzam Pana zamówienie i zaraz wracam z odpowiedzią."
    agent.fill("#reply", reply)
    agent.click("#send")
    expect(agent.locator("#messages")).to_contain_text(reply)
    # The list shows the reply's beginning, and says it goes on.
    preview = agent.locator("#queue-agent .conv small")
    expect(preview).to_have_text(re.compile(r"^Dzień dobry, tu Ala — sprawdzam .*…$"))
    assert len(preview.inner_text()) <= 60

    agent.click("#resolve")
    expect(earlier).to_have_count(1)
    expect(earlier.first).to_contain_text("prośba klienta")
    # Asked again: the new request is in the summary, the first one stays the only earlier one.
    web_chat_says(shop, token, "m2", "jednak chcę rozmawiać z człowiekiem")
    expect(agent.locator("#queue-waiting .conv")).to_have_count(1)
    expect(summary).to_contain_text("Przekazanie: prośba klienta.")
    expect(earlier).to_have_count(1)
    agent.context.close()


def test_the_customer_panel_shows_the_name_and_phone_known_before_any_order(
    browser: Browser, omni: tuple[LiveServer, FakeTelegramAPI, FakeTwilio]
) -> None:
    """Typed at a checkout not finished yet, or known to the channel (Telegram's first name,
    an SMS sender's number): shown, never "—" until an order saves them."""
    server, _, _ = omni
    token = httpx.post(f"{server.url}/api/webchat/sessions").json()["session_token"]
    checkout = ["poproszę dużą margheritę", "zamawiam", "odbiór osobisty", "Anna Kowalska"]
    for n, text in enumerate([*checkout, "601 234 567", "chcę rozmawiać z człowiekiem"]):
        web_chat_says(server, token, f"m{n}", text)
    telegram_says(server, updates.text(CHAT, "chcę rozmawiać z człowiekiem"))
    sms_says(server, "chcę rozmawiać z człowiekiem")

    agent = browser.new_context(locale="pl-PL").new_page()
    log_in(agent, server, waiting=3)
    waiting = agent.locator("#queue-waiting .conv")
    name, phone = agent.locator("#profile dd").nth(0), agent.locator("#profile dd").nth(1)
    expected = {
        "czat": ("Anna Kowalska (podane w rozmowie)", "601 234 567 (podane w rozmowie)"),
        "Telegram": ("Ala", "—"),
        "SMS": ("—", "600 111 222"),
    }
    # The queue names them too, not "Klient #3": the SMS sender by their number.
    expect(waiting.locator("strong")).to_have_text(["Anna Kowalska", "Ala", "600 111 222"])
    for channel, (shown_name, shown_phone) in expected.items():
        waiting.filter(has=agent.locator(".badge", has_text=channel)).click()
        expect(agent.locator("#profile dt").nth(0)).to_have_text("Imię")
        expect(name).to_have_text(shown_name)
        expect(phone).to_have_text(shown_phone)
    # The number dials from a phone: the SMS sender's, and the one typed in the chat.
    expect(phone.get_by_role("link")).to_have_attribute("href", "tel:+48600111222")
    agent.select_option("#lang", "en")
    waiting.filter(has=agent.locator(".badge", has_text="web chat")).click()
    expect(name).to_have_text("Anna Kowalska (given in this conversation)")
    expect(phone.get_by_role("link")).to_have_attribute("href", "tel:+48601234567")
    agent.context.close()


def test_a_change_agreed_with_the_customer_reaches_the_kitchens_board(
    browser: Browser, shop: LiveServer
) -> None:
    """The customer asks a person to add something to an order already placed: the agent adds
    it to the order's note from the customer panel, and the board shows it on the card."""
    token, number = customer_orders(shop.url, POLISH_ORDER)
    web_chat_says(shop, token, "m1", "chcę rozmawiać z człowiekiem")
    board = open_board(browser, shop.url, "ala@shop.pl")
    card = board.locator(f'.card[data-number="{number}"]')
    expect(card).to_be_visible()
    expect(card.locator(".note")).to_have_count(0)

    agent = browser.new_context(locale="pl-PL").new_page()
    log_in(agent, shop)
    agent.locator("#queue-waiting .conv").first.click()
    agent.click("#assign")
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept("+ sos czosnkowy")

    agent.on("dialog", answer)
    agent.locator(f'.add-kitchen-note[data-order="{number}"]').click()
    expect(agent.locator("#profile .kitchen-note")).to_have_text(
        "Uwagi dla kuchni: + sos czosnkowy"
    )
    assert asked and number in asked[0]
    expect(card.locator(".note")).to_have_text("Uwagi: + sos czosnkowy")
    agent.context.close()
    board.context.close()


def test_times_in_the_console_are_the_shops_whatever_the_agents_computer_says(
    browser: Browser, shop: LiveServer
) -> None:
    """The customer's chat and the orders board give the shop's time; an agent whose computer
    is set to another zone sees the same times, not its own."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    token = httpx.post(f"{shop.url}/api/webchat/sessions").json()["session_token"]
    web_chat_says(shop, token, "m1", "chcę rozmawiać z człowiekiem")
    said = httpx.get(f"{shop.url}/api/webchat/history", params={"token": token}).json()
    first = said["messages"][0]
    at = datetime.fromisoformat(first["created_at"]).astimezone(ZoneInfo("Europe/Warsaw"))
    agent = browser.new_context(locale="pl-PL", timezone_id="America/New_York").new_page()
    log_in(agent, shop)
    agent.locator("#queue-waiting .conv").first.click()
    meta = agent.locator(f'#messages .msg[data-id="{first["id"]}"] .meta')
    expect(meta).to_have_text(f"klient · czat · {at:%H:%M:%S}")
    expect(agent.locator("#profile")).to_contain_text(f"czat: ostatnio {at:%-d.%m.%Y}, ")
    agent.context.close()
