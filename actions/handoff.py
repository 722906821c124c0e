"""Hand a conversation to a live operator, with the context they need."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import conversation_language, last_topic_intent
from bot.handoffs import record_handoff

logger = logging.getLogger(__name__)


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        reason = "requested" if tracker.latest_message.get("intent", {}).get("name") == "request_human" else "fallback"
        try:
            record_handoff(
                conversation_id=tracker.sender_id,
                language=conversation_language(tracker),
                intent=last_topic_intent(tracker),
                reason=reason,
                summary=f"login={'yes' if tracker.get_slot('login') else 'no'}",
            )
        except Exception:  # the customer still hears what happens next
            logger.exception("could not record a hand-off")
        dispatcher.utter_message(response="utter_handoff")
        return []
