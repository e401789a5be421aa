"""A page object for the chat widget: what a visitor can see and do."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Dialog, Locator, Page, expect


class ChatWidget:
    """What a visitor can see and do in the widget (it lives in an open shadow root,
    which Playwright's CSS locators pierce)."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        page.set_default_timeout(10_000)
        self.base_url = base_url
        self.launcher = page.locator(".omnibot-launcher")
        self.panel = page.locator(".omnibot-panel")
        self.input = page.locator(".omnibot-input")
        self.badge = page.locator(".omnibot-badge")
        self.typing = page.locator(".omnibot-typing")
        self.root = page.locator(".omnibot-root")
        self.scroller = page.locator(".omnibot-scroll")
        self.new_messages_marker = page.locator(".omnibot-jump")
        self.header_status = page.locator(".omnibot-status")
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("dialog", self._dismiss_dialog)

    def _dismiss_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visit(self) -> None:
        self.page.goto(f"{self.base_url}/")
        expect(self.launcher).to_be_visible()

    def open(self) -> None:
        self.launcher.click()
        expect(self.panel).to_be_visible()

    def start_chatting(self, text: str = "cześć") -> None:
        """Open the shop's page and the chat, say `text` and see the bot answer."""
        self.visit()
        self.open()
        self.wait_online()
        self.say(text)
        expect(self.messages("bot").first).to_be_visible()

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def messages(self, author: str | None = None) -> Locator:
        """Stored messages (with a server id); optimistic bubbles are excluded."""
        selector = ".omnibot-msg[data-id]"
        return self.page.locator(selector + (f'[data-author="{author}"]' if author else ""))

    def texts(self, author: str) -> Locator:
        return self.messages(author).locator(".omnibot-text")

    def quick_replies(self) -> Locator:
        return self.page.locator(".omnibot-chip:visible")

    def fully_in_view(self, element: Locator) -> bool:
        """Whether the element is wholly inside the visible part of the message list."""
        return bool(
            element.evaluate(
                """el => {
                  const view = el.getRootNode().querySelector('.omnibot-scroll');
                  const box = el.getBoundingClientRect(), port = view.getBoundingClientRect();
                  return box.height > 0 && box.top >= port.top - 1 && box.bottom <= port.bottom + 1;
                }"""
            )
        )

    def end_in_view(self, element: Locator) -> bool:
        """Whether the element is shown down to its end: wholly, or (taller than the list's
        visible part) filling it."""
        return bool(
            element.evaluate(
                """el => {
                  const view = el.getRootNode().querySelector('.omnibot-scroll');
                  const box = el.getBoundingClientRect(), port = view.getBoundingClientRect();
                  const endShown = box.bottom <= port.bottom + 1 && box.bottom > port.top;
                  return endShown && (box.top >= port.top - 1 || box.height > port.height);
                }"""
            )
        )

    def scroll_up_to_read(self) -> None:
        """Scroll the list to its top, as a reader does, and let the widget see the scroll."""
        self.scroller.evaluate(
            """async el => {
              el.scrollTop = 0;
              // Scroll events fire before the next animation frame's callbacks.
              await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
            }"""
        )

    def wait_online(self) -> None:
        expect(self.root).to_have_attribute("data-state", "online")

    def shown_ids(self) -> list[int]:
        return [int(i) for i in self.messages().evaluate_all("els => els.map(e => e.dataset.id)")]

    def settled_ids(self, quiet_s: float = 0.4, timeout_s: float = 10) -> list[int]:
        """The shown message ids once nothing is pending and nothing new arrived for `quiet_s`."""
        expect(self.page.locator(".omnibot-pending")).to_have_count(0)
        deadline = time.monotonic() + timeout_s
        ids = self.shown_ids()
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(quiet_s * 1000)
            now = self.shown_ids()
            if now == ids:
                return ids
            ids = now
        raise AssertionError(f"messages kept changing: {ids}")

    def session_token(self) -> str:
        stored = self.page.evaluate(
            "() => Object.keys(localStorage).filter(k => k.startsWith('omnibot:'))"
            ".map(k => localStorage.getItem(k))[0]"
        )
        token = json.loads(stored)["token"]
        assert isinstance(token, str)
        return token

    def send_over_rest(self, text: str) -> dict[str, Any]:
        """Send as the same customer from elsewhere (another tab, a script)."""
        response = httpx.post(
            f"{self.base_url}/api/webchat/messages",
            json={
                "session_token": self.session_token(),
                "text": text,
                "client_message_id": str(uuid.uuid4()),
            },
            timeout=10,
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def server_history(self) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{self.base_url}/api/webchat/history",
            params={"token": self.session_token()},
            timeout=10,
        )
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages

    def screenshot(self, name: str) -> None:
        if directory := os.environ.get("OMNIBOT_SCREENSHOT_DIR"):
            self.page.screenshot(path=str(Path(directory) / f"omnibot-{name}.png"))
