"""One registry decides what an intent does, for the server, `omnibot chat` and the tests.

In order: the operator's own reply for the intent (content edited in /admin), a built-in
handler, then the Rasa action the actions domain maps the intent to (in-process, or on the
action server at ACTION_ENDPOINT). An intent none of them knows falls to the fallback ladder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.actions.runner import ActionDomain, ActionRunner
from bot.dialogue.speaker import Speaker
from bot.dialogue.steps import ActionSteps
from bot.dialogue.turn import Handler, Reply, Turn

# An operator-written reply for the turn's intent, filled in; None when there is none.
ContentReplies = Callable[[Turn], str | None]


def _no_content(turn: Turn) -> str | None:
    return None


class IntentRegistry:
    def __init__(self, speaker: Speaker, runner: ActionRunner, steps: ActionSteps) -> None:
        self.speaker = speaker
        self.runner = runner
        self.steps = steps
        self._handlers: dict[str, Handler] = {}
        self._content: ContentReplies = _no_content

    # -- filling it -------------------------------------------------------------------
    def handle(self, intent: str, handler: Handler) -> None:
        """A built-in handler for the intent (replaces an earlier one)."""
        self._handlers[intent] = handler

    def use_content(self, replies: ContentReplies) -> None:
        """Operator-edited replies win over everything else for their intents."""
        self._content = replies

    def configure_actions(
        self, endpoint: str | None = None, domain_path: Path | None = None
    ) -> None:
        """Point unknown actions at a Rasa action server; map more intents to actions."""
        self.runner.endpoint = endpoint
        self.runner.domain = ActionDomain.load(domain_path)

    # -- reading it -------------------------------------------------------------------
    def resolve(self, turn: Turn) -> Handler | None:
        """What handles the turn's intent, or None (the fallback ladder then)."""
        reply = self._content(turn)
        if reply is not None:
            return self._content_handler(reply)
        handler = self._handlers.get(turn.intent)
        if handler is not None:
            return handler
        action = self.runner.action_for(turn.intent)
        if action is None or not self.runner.available(action):
            return None
        return self._action_handler(action)

    def kind_of(self, intent: str) -> str | None:
        """ "handler", "action" or None, for an intent without operator content."""
        if intent in self._handlers:
            return "handler"
        action = self.runner.action_for(intent)
        return "action" if action and self.runner.available(action) else None

    def _content_handler(self, text: str) -> Handler:
        async def reply(turn: Turn) -> None:
            turn.replies.append(Reply(text, self.speaker.main_buttons(turn.lang)))

        return reply

    def _action_handler(self, action: str) -> Handler:
        async def run(turn: Turn) -> None:
            await self.steps.run(turn, action)

        return run
