"""The conversation itself: its language, and a long message's topics.

Language: a first message with no language evidence («оператор», a login, an
emoji) is answered with a language choice (nlu.components.language_identifier
keeps what it asked in ``pending_intent`` / ``pending_text``). Once a language
is chosen, that message is handled as if it had just been sent: the action puts
it back as a new user turn, which the rules then answer. A plain switch is
confirmed.

Topics: a long message with several topics and none leading: Dana asks which one.
The NLU classifier (nlu/components/intent_classifier.py) reads a long message
sentence by sentence; when no topic leads clearly it sets ``choose_topic`` and
ranks the topics it found. Each becomes a button whose payload is that topic's
intent, so the choice starts its flow as if the customer had said only that.
The buttons' words are the domain's ``utter_term_topic_<intent>``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SlotSet, UserUttered
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import conversation_language
from bot.project_domain import project_domain_dict

CHOOSE_TOPIC = "choose_topic"
MAX_TOPICS = 3


def term_text(domain: Dict[Text, Any], name: str, language: str) -> Optional[str]:
    """The text of a term response in the language, chosen as Rasa chooses a variation."""
    from rasa.core.nlg.generator import ResponseVariationFilter

    responses = domain.get("responses") or {}
    if name not in responses:
        return None
    chosen = ResponseVariationFilter(responses).responses_for_utter_action(name, None, {"language": language})
    return chosen[0].get("text") if chosen else None


class ActionChooseTopic(Action):
    def name(self) -> Text:
        return "action_choose_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        language = conversation_language(tracker)
        domain = domain or project_domain_dict()  # Rasa does not send it (endpoints.yml)
        buttons = []
        for entry in tracker.latest_message.get("intent_ranking") or []:
            topic = entry.get("name")
            title = term_text(domain, f"utter_term_topic_{topic}", language) if topic != CHOOSE_TOPIC else None
            if title:
                buttons.append({"title": title, "payload": f"/{topic}"})
            if len(buttons) == MAX_TOPICS:
                break
        if len(buttons) < 2:  # nothing to choose between: ask as for any unclear message
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(response="utter_choose_topic", buttons=buttons)
        return []


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
            UserUttered(
                text or "",
                parse_data={
                    "text": text or "",
                    "intent": {"name": intent, "confidence": 1.0},
                    "intent_ranking": [{"name": intent, "confidence": 1.0}],
                    "entities": [],
                },
                input_channel=tracker.get_latest_input_channel(),
            ),
        ]
