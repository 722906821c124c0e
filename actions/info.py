"""Answers whose content depends on the Astana clock."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import schedule


class ActionBillingPeriodNote(Action):
    """Adds the 27th–4th load note to an answer about waiting, when it applies."""

    def name(self) -> Text:
        return "action_billing_period_note"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if schedule.in_billing_period(schedule.now_astana().date()):
            dispatcher.utter_message(response="utter_billing_period_note")
        return []


class ActionCallbackWindow(Action):
    """A callback can be ordered only within the window (09:00–22:00 Astana)."""

    def name(self) -> Text:
        return "action_callback_window"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if schedule.in_callback_window(schedule.now_astana()):
            dispatcher.utter_message(response="utter_request_callback")
        else:
            dispatcher.utter_message(response="utter_callback_outside_hours")
        return []
