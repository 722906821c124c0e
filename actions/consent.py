"""Consent to process personal data: asked by each flow for the data that flow
collects (utter_ask_<form>_consent names it), recorded when the flow ends.

A yes given for a technician visit (a phone number) does not cover a refund
(name, phone, e-mail, a receipt): after each filing the answer is forgotten, so
the next flow asks for its own data."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import channel_of
from bot.office import consent
from bot.office.models import utcnow


def validate_consent_answer(value: Any, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
    if value is True:
        return {"consent": True}
    dispatcher.utter_message(response="utter_consent_refused")
    return {"consent": False, "requested_slot": None}


def settle_consent(tracker: Tracker, purpose: str) -> List[Dict[Text, Any]]:
    """Record this flow's answer and forget it, so a later flow asks for its own data."""
    answer = tracker.get_slot("consent")
    if answer is None:
        return []
    consent.record(
        conversation_id=tracker.sender_id,
        purpose=purpose,
        granted=bool(answer),
        channel=channel_of(tracker),
        now=utcnow(),
    )
    return [SlotSet("consent", None)]
