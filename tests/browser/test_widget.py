"""The web chat widget as a visitor uses it, against a real server."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, WebSocketRoute, expect

from .chat_widget import ChatWidget

WEBCHAT_SOCKET = re.compile(r"/ws/webchat")


def test_conversation_with_quick_replies_survives_a_reload(chat: ChatWidget) -> None:
    chat.visit()
    chat.open()
    expect(chat.input).to_be_focused()

    chat.say("cześć")
    expect(chat.texts("customer")).to_have_text(["cześć"])
    expect(chat.messages("bot").first).to_be_visible()
    expect(chat.quick_replies().first).to_be_visible()

    bot_replies = chat.messages("bot").count()
    menu = chat.quick_replies().filter(has_text=re.compile("menu", re.IGNORECASE))
    button = menu.first if menu.count() else chat.quick_replies().first
    title = button.inner_text()
    button.click()
    expect(chat.texts("customer")).to_have_text(["cześć", title])
    chat.messages("bot").nth(bot_replies).wait_for()
    chat.screenshot("conversation")

    ids = chat.settled_ids()
    assert ids == [m["id"] for m in chat.server_history()]
    texts = chat.messages().locator(".omnibot-text").all_inner_texts()

    chat.page.reload()
    chat.open()
    chat.wait_online()
    assert chat.settled_ids() == ids
    assert chat.messages().locator(".omnibot-text").all_inner_texts() == texts
    assert chat.page_errors == []


def test_markup_in_a_message_is_shown_as_literal_text(chat: ChatWidget) -> None:
    markup = "<script>alert(1)</script><b>x</b>"
    chat.visit()
    chat.open()
    chat.say(markup)

    expect(chat.texts("customer")).to_have_text([markup])
    expect(chat.messages("bot").first).to_be_visible()
    chat.settled_ids()
    injected = chat.page.locator(".omnibot-log b, .omnibot-log script")
    assert injected.count() == 0

    chat.page.reload()  # history is rendered by another path than the live bubble
    chat.open()
    expect(chat.texts("customer")).to_have_text([markup])
    assert injected.count() == 0
    assert chat.dialogs == []
    assert chat.page_errors == []


def test_typing_indicator_and_unread_badge(chat: ChatWidget) -> None:
    sockets: list[WebSocketRoute] = []
    frames: list[dict[str, object]] = []
    test_plays_typing = False

    def record_frames(page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()

        def forward(frame: str | bytes) -> None:
            message = json.loads(frame)
            frames.append(message)
            # The server ends its turn with {"typing": false} after the reply, which can
            # arrive after the test has started playing the server's part: from then on the
            # dots are the test's alone.
            if not (test_plays_typing and message.get("type") == "typing"):
                page_side.send(frame)

        server_side.on_message(forward)
        sockets.append(page_side)

    chat.page.route_web_socket(WEBCHAT_SOCKET, record_frames)
    chat.visit()
    chat.open()
    chat.wait_online()
    chat.say("cześć")
    expect(chat.messages("bot").first).to_be_visible()
    # The real bot answers too fast to show the dots (the server sends them only for a slow
    # answer), so the test plays the server's part.
    test_plays_typing = True
    sockets[-1].send(json.dumps({"type": "typing", "typing": True}))
    expect(chat.typing).to_be_visible()
    sockets[-1].send(json.dumps({"type": "typing", "typing": False}))
    expect(chat.typing).to_be_hidden()

    chat.page.keyboard.press("Escape")
    expect(chat.panel).to_be_hidden()
    expect(chat.badge).to_be_hidden()

    chat.send_over_rest("menu")  # the same customer, from another tab
    expect(chat.badge).to_be_visible()
    expect(chat.badge).to_have_text(re.compile(r"^[1-9]"))
    expect(chat.launcher).to_have_attribute("aria-label", re.compile(r"now(a|e|ych) wiadomo"))
    chat.screenshot("unread-badge")

    chat.open()
    expect(chat.badge).to_be_hidden()


def test_offline_then_reconnect_loses_nothing_and_shows_nothing_twice(chat: ChatWidget) -> None:
    sockets: list[WebSocketRoute] = []

    def pass_through(page_side: WebSocketRoute) -> None:
        page_side.connect_to_server()
        sockets.append(page_side)

    chat.page.route_web_socket(WEBCHAT_SOCKET, pass_through)
    chat.start_chatting()
    chat.settled_ids()

    sockets[-1].close()  # the server or a proxy drops the connection: the widget dials again
    for _ in range(50):
        if len(sockets) == 2:
            break
        chat.page.wait_for_timeout(100)
    assert len(sockets) == 2
    chat.wait_online()
    live = chat.send_over_rest("pizze")
    expect(chat.page.locator(f'.omnibot-msg[data-id="{live["replies"][-1]["id"]}"]')).to_have_count(
        1
    )

    chat.page.context.set_offline(True)
    sockets[-1].close()  # offline emulation leaves open sockets alone; drop it by hand
    expect(chat.root).to_have_attribute("data-state", "offline")

    missed = chat.send_over_rest("menu")  # arrives while this tab is offline
    chat.say("pomoc")  # cannot be sent now: a polite error with a retry
    failed = chat.page.locator(".omnibot-failed")
    expect(failed.locator(".omnibot-error")).to_be_visible()
    retry = failed.get_by_role("button", name="Spróbuj ponownie")

    chat.page.context.set_offline(False)
    chat.wait_online()
    for message in [missed["message"], *missed["replies"]]:
        expect(chat.page.locator(f'.omnibot-msg[data-id="{message["id"]}"]')).to_have_count(1)

    retry.click()
    expect(failed).to_have_count(0)
    expect(chat.texts("customer")).to_have_text(["cześć", "pizze", "menu", "pomoc"])
    ids = chat.settled_ids()
    assert ids == [m["id"] for m in chat.server_history()]
    assert len(ids) == len(set(ids))


def test_mobile_panel_fills_the_screen_and_works_from_the_keyboard(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(
        locale="pl-PL", viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True
    )
    try:
        chat = ChatWidget(context.new_page(), base_url)
        chat.visit()
        for _ in range(30):
            chat.page.keyboard.press("Tab")
            if chat.launcher.evaluate("el => el.getRootNode().activeElement === el"):
                break
        expect(chat.launcher).to_be_focused()

        chat.page.keyboard.press("Enter")
        expect(chat.panel).to_be_visible()
        expect(chat.input).to_be_focused()
        box = chat.panel.bounding_box()
        assert box is not None
        assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 375, 667)

        chat.page.keyboard.type("pokaż menu")
        chat.page.keyboard.press("Shift+Enter")  # a new line, not a send
        chat.page.keyboard.type("proszę")
        chat.page.keyboard.press("Enter")
        expect(chat.texts("customer")).to_have_count(1)
        assert chat.texts("customer").first.inner_text() == "pokaż menu\nproszę"
        expect(chat.messages("bot").first).to_be_visible()
        expect(chat.input).to_have_value("")
        chat.screenshot("mobile")

        chat.page.keyboard.press("Escape")
        expect(chat.panel).to_be_hidden()
        expect(chat.launcher).to_be_focused()
        assert chat.page_errors == []
    finally:
        context.close()


def test_english_browser_gets_an_english_widget(browser: Browser, base_url: str) -> None:
    context = browser.new_context(locale="en-GB")
    try:
        chat = ChatWidget(context.new_page(), base_url)
        chat.visit()
        expect(chat.launcher).to_have_attribute("aria-label", "Open chat")
        chat.open()
        expect(chat.input).to_have_attribute("placeholder", "Type a message…")
    finally:
        context.close()


def test_forged_session_token_is_replaced_by_a_fresh_session(chat: ChatWidget) -> None:
    chat.page.add_init_script(
        "localStorage.setItem('omnibot:' + location.origin + '/',"
        " JSON.stringify({token: 'forged.token.value', seen: 0}))"
    )
    chat.visit()
    chat.open()
    chat.say("cześć")
    expect(chat.messages("bot").first).to_be_visible()
    assert chat.session_token() != "forged.token.value"
    assert chat.page_errors == []


def test_messages_from_other_channels_and_agents_are_marked(chat: ChatWidget) -> None:
    sockets: list[WebSocketRoute] = []

    def pass_through(page_side: WebSocketRoute) -> None:
        page_side.connect_to_server()
        sockets.append(page_side)

    chat.page.route_web_socket(WEBCHAT_SOCKET, pass_through)
    chat.visit()
    chat.open()
    chat.wait_online()
    # An agent answering in the customer's Telegram chat shows up in the same timeline.
    from_telegram = {
        "id": 2_000_000_000,
        "author": "agent",
        "text": "Dzień dobry, tu Ania z obsługi.",
        "buttons": [],
        "created_at": "2026-01-01T12:00:00+00:00",
        "channel": "telegram",
    }
    sockets[-1].send(json.dumps({"type": "message", "message": from_telegram}))
    message = chat.page.locator('.omnibot-msg[data-id="2000000000"]')
    expect(message.locator(".omnibot-author")).to_have_text("Konsultant")
    expect(message.locator(".omnibot-meta")).to_contain_text("przez Telegram")


def test_widget_embedded_on_another_site_talks_to_its_own_server(
    chat: ChatWidget, partner_site: str
) -> None:
    chat.page.goto(partner_site)
    chat.open()
    expect(chat.page.get_by_role("dialog", name="Partner chat")).to_be_visible()
    expect(chat.input).to_have_attribute("placeholder", "Type a message…")  # data-lang="en"
    chat.say("hello")
    expect(chat.texts("customer")).to_have_text(["hello"])
    expect(chat.messages("bot").first).to_be_visible()
    assert chat.session_token()
    assert chat.page_errors == []


def test_ending_the_chat_forgets_it_on_this_device_and_on_the_server(chat: ChatWidget) -> None:
    chat.visit()
    chat.open()
    chat.say("cześć")
    expect(chat.messages("bot").first).to_be_visible()
    token = chat.session_token()
    end = chat.page.locator(".omnibot-end")
    confirm = chat.page.locator(".omnibot-confirm")
    expect(end).to_be_visible()

    end.click()  # asks first; "back" keeps everything
    expect(confirm).to_be_visible()
    chat.page.locator(".omnibot-end-no").click()
    expect(confirm).to_be_hidden()
    assert chat.session_token() == token

    end.click()
    chat.page.locator(".omnibot-end-yes").click()
    expect(chat.panel).to_be_hidden()
    stored = chat.page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('omnibot:'))"
    )
    assert stored == []
    # The token is dead everywhere: a copy of it reads nothing.
    r = httpx.get(f"{chat.base_url}/api/webchat/history", params={"token": token}, timeout=10)
    assert r.status_code == 401

    # The next visitor at this computer starts with an empty chat of their own.
    chat.page.reload()
    chat.open()
    expect(chat.messages()).to_have_count(0)
    chat.say("menu")
    expect(chat.messages("bot").first).to_be_visible()
    assert chat.session_token() != token
    assert [m["text"] for m in chat.server_history() if m["author"] == "customer"] == ["menu"]
    assert chat.page_errors == []


def test_message_times_read_on_the_shops_clock_wherever_the_visitor_is(
    browser: Browser, base_url: str
) -> None:
    # A visitor whose device is set to New York, chatting with the shop in Warsaw: the bot
    # gives times on the shop's clock, and so do the messages ("ordered 18:02, ready 18:30").
    context = browser.new_context(
        locale="pl-PL", timezone_id="America/New_York", viewport={"width": 1280, "height": 800}
    )
    chat = ChatWidget(context.new_page(), base_url)
    chat.start_chatting()
    chat.settled_ids()
    shop_zone = httpx.post(f"{base_url}/api/webchat/sessions").json()["timezone"]
    assert shop_zone == "Europe/Warsaw"
    expected = [
        datetime.fromisoformat(m["created_at"]).astimezone(ZoneInfo(shop_zone)).strftime("%H:%M")
        for m in chat.server_history()
    ]
    expect(chat.messages().locator(".omnibot-meta")).to_have_text(expected)
    chat.screenshot("times-on-the-shops-clock")
    assert chat.page_errors == []
    context.close()
