"""Runs actions through rasa_sdk's ActionExecutor, or a remote Rasa action server.

The core builds the tracker and domain JSON of Rasa's action-server protocol from the
customer context and applies what comes back: responses become replies (a `response`
names a template of responses.yaml, its other keys fill it), `slot` events set slots
(`requested_slot` is the flow's step), `active_loop` starts or ends a flow, `followup`
runs the next action, `pause` hands the conversation to a human, `restart` /
`reset_slots` clear the dialogue state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import rasa_sdk
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

from bot.actions.context import ActionContext, Shop, bound
from bot.dialogue.turn import Reply, Turn
from bot.messages import Button
from bot.store import repo
from intents.yamlfile import read_yaml

log = logging.getLogger(__name__)

DEFAULT_DOMAIN = Path(__file__).resolve().parent / "domain.yaml"
MAX_FOLLOWUPS = 5
# Keys of a Rasa response that are not template variables.
_RESPONSE_KEYS = {
    "text",
    "buttons",
    "elements",
    "custom",
    "template",
    "response",
    "image",
    "attachment",
    "recipient_id",
}


class ActionUnavailable(Exception):
    """An action that is neither registered here nor reachable on an action server."""


@dataclass
class ActionDomain:
    """Intent → action name, from domain.yaml plus optional extra files."""

    intent_actions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, *paths: Path | None) -> ActionDomain:
        mapping: dict[str, str] = {}
        for path in (DEFAULT_DOMAIN, *paths):
            if path is None:
                continue
            raw = read_yaml(path) or {}
            mapping.update({str(k): str(v) for k, v in (raw.get("intents") or {}).items()})
        return cls(mapping)


class ActionRunner:
    def __init__(
        self,
        shop: Shop,
        endpoint: str | None = None,
        domain: ActionDomain | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.shop = shop
        self.endpoint = endpoint
        self.domain = domain or ActionDomain.load()
        self.timeout = timeout
        self.executor = ActionExecutor()

    def register(self, *actions: Action) -> None:
        for action in actions:
            self.executor.register_action(action)

    def action_for(self, intent: str) -> str | None:
        return self.domain.intent_actions.get(intent)

    def is_local(self, name: str) -> bool:
        return name in self.executor.actions

    def available(self, name: str) -> bool:
        return self.is_local(name) or bool(self.endpoint)

    async def run(self, name: str, turn: Turn) -> None:
        """Run an action and its follow-ups, applying their events and responses."""
        next_name: str | None = name
        for _ in range(MAX_FOLLOWUPS):
            if next_name is None:
                return
            call = self.action_call(next_name, turn)
            if self.is_local(next_name):
                with bound(ActionContext(turn, self.shop)):
                    result = await self.executor.run(call)
                body = result.model_dump() if result else {"events": [], "responses": []}
            elif self.endpoint:
                body = await self._remote(call)
            else:
                raise ActionUnavailable(next_name)
            repo.record_event(turn.session, "action", turn.customer.id, name=next_name)
            next_name = self.apply(body, turn)
        log.warning("action %s: too many follow-ups", name)

    async def _remote(self, call: dict[str, Any]) -> dict[str, Any]:
        assert self.endpoint
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.post(self.endpoint, json=call)
        if response.status_code == 404:
            raise ActionUnavailable(call["next_action"])
        response.raise_for_status()
        body = response.json()
        return body if isinstance(body, dict) else {}

    # -- Rasa's JSON ------------------------------------------------------------------
    def action_call(self, name: str, turn: Turn) -> dict[str, Any]:
        return {
            "next_action": name,
            "sender_id": str(turn.customer.id),
            "tracker": self.tracker(turn),
            "domain": self.domain_json(),
            "version": rasa_sdk.__version__,
        }

    def tracker(self, turn: Turn) -> dict[str, Any]:
        state = turn.state
        slots: dict[str, Any] = {
            **(state.slots or {}),
            "requested_slot": state.step,
            "language": turn.lang,
            "customer_name": turn.customer.name,
            "customer_phone": turn.customer.phone,
        }
        latest = {
            k: turn.parse.get(k) for k in ("text", "intent", "entities", "intent_ranking", "faq")
        }
        return {
            "sender_id": str(turn.customer.id),
            "slots": slots,
            "latest_message": latest,
            "events": [{"event": "user", "text": latest.get("text"), "parse_data": latest}],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": state.flow} if state.flow else {},
            "latest_action_name": "action_listen",
        }

    def domain_json(self) -> dict[str, Any]:
        return {
            "version": "3.1",
            "intents": sorted(self.domain.intent_actions),
            "entities": ["product", "quantity", "size", "category", "phone", "order_number"],
            "slots": {},
            "responses": {},
            "actions": sorted({*self.domain.intent_actions.values(), *self.executor.actions}),
        }

    def apply(self, body: dict[str, Any], turn: Turn) -> str | None:
        """Apply events and responses to the turn; the follow-up action's name, if any."""
        state = turn.state
        followup = None
        for event in body.get("events") or []:
            kind = event.get("event")
            if kind == "slot":
                name, value = str(event.get("name")), event.get("value")
                if name == "requested_slot":
                    state.step = value
                elif value is None:
                    state.slots = {k: v for k, v in (state.slots or {}).items() if k != name}
                else:
                    state.slots = {**(state.slots or {}), name: value}
            elif kind == "active_loop":
                state.flow = event.get("name")
                if state.flow is None:
                    state.step = None
            elif kind == "followup":
                followup = event.get("name")
            elif kind == "pause":
                turn.handoff_reason = turn.handoff_reason or "customer_request"
            elif kind in ("restart", "reset_slots"):
                state.slots, state.flow, state.step = {}, None, None
        for message in body.get("responses") or []:
            self._reply(message, turn)
        return followup

    def _reply(self, message: dict[str, Any], turn: Turn) -> None:
        text = message.get("text")
        key = message.get("response") or message.get("template")
        if not text and key:
            templates = self.shop.responses
            key = key if templates.has(key) else key.removeprefix("utter_")
            if templates.has(key):
                values = {k: v for k, v in message.items() if k not in _RESPONSE_KEYS}
                text = templates.render(key, turn.lang, **values)
        buttons = [
            Button(str(b.get("title", "")), str(b.get("payload", "")))
            for b in message.get("buttons") or []
            if b.get("payload")
        ]
        if text or buttons:
            turn.replies.append(Reply(str(text or ""), buttons))
