"""How flows and handlers ask for a business step: run a Rasa action by name, politely.

The small interface between the flows and the actions: a flow never sees the action
runner, the engine or the action server, only `ActionSteps.run`.
"""

from __future__ import annotations

import logging

import httpx

from bot.actions.runner import ActionRunner, ActionUnavailable
from bot.dialogue.speaker import Speaker
from bot.dialogue.turn import Turn

log = logging.getLogger(__name__)


class ActionSteps:
    def __init__(self, runner: ActionRunner, speaker: Speaker) -> None:
        self.runner = runner
        self.speaker = speaker

    async def run(self, turn: Turn, action: str) -> None:
        """Run the action (and its follow-ups); a failure gets the customer a polite reply."""
        try:
            await self.runner.run(action, turn)
        except (ActionUnavailable, httpx.HTTPError, ValueError) as exc:
            log.warning("action %s failed: %r", action, exc)
            self.speaker.say(turn, "action_failed", self.speaker.main_buttons(turn.lang))
