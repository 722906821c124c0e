"""Consent to process personal data: asked once per conversation, recorded when a flow ends."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import channel_of
from bot.db import new_session
from bot.models import utcnow
from bot.requests import record_consent


def validate_consent_answer(value: Any, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
    if value is True:
        return {"consent": True}
    dispatcher.utter_message(response="utter_consent_refused")
    return {"consent": False, "requested_slot": None}


def settle_consent(tracker: Tracker, purpose: str) -> List[Dict[Text, Any]]:
    """Record the answer (once) and forget a refusal, so a later flow may ask again."""
    answer = tracker.get_slot("consent")
    if answer is None:
        return []
    if not tracker.get_slot("consent_recorded") or answer is False:
        with new_session() as session, session.begin():
            record_consent(session, conversation_id=tracker.sender_id, purpose=purpose,
                           granted=bool(answer), channel=channel_of(tracker), now=utcnow())
    if answer is False:
        return [SlotSet("consent", None)]
    return [SlotSet("consent_recorded", True)]
