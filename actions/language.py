"""The conversation language: a confirmed switch, and the request a customer
made before choosing one.

A first message with no language evidence («оператор», a login, an emoji) is
answered with a language choice (nlu.components.language_identifier keeps what
it asked in ``pending_intent`` / ``pending_text``). Once a language is chosen,
that message is handled as if it had just been sent: the action puts it back
as a new user turn, which the rules then answer.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SlotSet, UserUttered
from rasa_sdk.executor import CollectingDispatcher


class ActionLanguageSwitched(Action):
    def name(self) -> Text:
        return "action_language_switched"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent, text = tracker.get_slot("pending_intent"), tracker.get_slot("pending_text")
        if not intent:
            dispatcher.utter_message(response="utter_language_switched")
            return []
        dispatcher.utter_message(response="utter_language_chosen")
        # The same shape as Rasa's own injected messages (reminders, trigger_intent):
        # a listen, then the user turn, so the rules see a fresh message.
        return [
            SlotSet("pending_intent", None),
            SlotSet("pending_text", None),
            ActionExecuted("action_listen"),
            UserUttered(text or "", parse_data={
                "text": text or "",
                "intent": {"name": intent, "confidence": 1.0},
                "intent_ranking": [{"name": intent, "confidence": 1.0}],
                "entities": [],
            }, input_channel=tracker.get_latest_input_channel()),
        ]
