"""The dialogue engine assembled from its parts, the same way for every caller.

The server (bot.app), `omnibot chat` (through bot.app) and the tests all build the
dialogue here, so one intent registry — built-in handlers, the actions domain and the
operator's content — decides what an intent does everywhere.
"""

from __future__ import annotations

from pathlib import Path

from bot.actions.context import Shop
from bot.actions.registry import default_actions
from bot.actions.runner import ActionDomain, ActionRunner
from bot.dialogue.builtins import BuiltinHandlers
from bot.dialogue.checkout import CheckoutFlow
from bot.dialogue.engine import DialogueEngine
from bot.dialogue.flows import Flow, FlowKit, LeaveMessageFlow, small_flows
from bot.dialogue.joining import JoinQuestion
from bot.dialogue.registry import IntentRegistry
from bot.dialogue.repair_handlers import RepairHandlers
from bot.dialogue.steps import ActionSteps
from bot.identity import IdentityLinker


def assemble_dialogue(
    shop: Shop,
    *,
    identity: IdentityLinker | None = None,
    action_endpoint: str | None = None,
    actions_domain: Path | None = None,
    max_message_chars: int = 2000,
) -> DialogueEngine:
    """Actions → steps → flows → registry → engine."""
    runner = ActionRunner(shop, action_endpoint, ActionDomain.load(actions_domain))
    runner.register(*default_actions())
    steps = ActionSteps(runner, shop.speaker)
    kit = FlowKit(shop, shop.speaker, steps)
    checkout = CheckoutFlow(kit)
    registry = IntentRegistry(shop.speaker, runner, steps)
    BuiltinHandlers(shop.speaker, steps).register(registry, checkout, identity)
    repair = RepairHandlers(kit)
    repair.register(registry)
    leave_message = LeaveMessageFlow(kit)
    registry.handle("leave_message", leave_message.start)
    join_question = JoinQuestion(kit, identity) if identity is not None else None
    flows: list[Flow] = [*small_flows(kit), checkout, leave_message, *repair.flows()]
    return DialogueEngine(
        shop,
        registry,
        [*flows, *([join_question] if join_question else [])],
        identity=identity,
        max_message_chars=max_message_chars,
        openers=[checkout],
        join_question=join_question,
    )
