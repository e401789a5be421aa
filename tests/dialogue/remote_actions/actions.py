"""A custom action as any Rasa project would write it; it knows nothing of Omnibot."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher


class ActionTellJoke(Action):
    def name(self) -> str:
        return "action_tell_joke"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        jokes = int(tracker.get_slot("jokes_told") or 0) + 1
        lang = tracker.get_slot("language")
        dispatcher.utter_message(
            text=f"Joke #{jokes} for customer {tracker.sender_id} ({lang}): "
            f"intent {tracker.get_intent_of_latest_message()}, why did the pizza cross the road?",
            buttons=[{"title": "Another one", "payload": "/tell_joke"}],
        )
        # A template of Omnibot's responses.yaml, rendered in the customer's language.
        dispatcher.utter_message(response="utter_thanks")
        return [SlotSet("jokes_told", jokes)]


class ActionJokeThenCart(Action):
    def name(self) -> str:
        return "action_joke_then_cart"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="One more thing:")
        return [FollowupAction("action_show_cart")]
