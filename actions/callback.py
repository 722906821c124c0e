"""Callback requests: only 09:00–22:00 Astana time; phone and topic are recorded."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import DanaFormValidator, conversation_language
from actions.consent import validate_consent_answer
from actions.conversation import channel_of
from actions.csat import ask_csat
from actions.filing import file_or_hand_off, ready_to_file
from actions.phone import validate_phone_answer
from bot.office import callback, schedule
from bot.office.models import utcnow

logger = logging.getLogger(__name__)


class ActionCallbackWindow(Action):
    """Sets ``callback_open``; outside the window says when to ask again."""

    def name(self) -> Text:
        return "action_callback_window"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        if schedule.in_callback_window(schedule.now_astana()):
            dispatcher.utter_message(response="utter_request_callback")
            return [SlotSet("callback_open", True)]
        dispatcher.utter_message(response="utter_callback_outside_hours")
        return [SlotSet("callback_open", False)]


class ValidateCallbackForm(DanaFormValidator):
    def name(self) -> Text:
        return "validate_callback_form"

    def validate_consent(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_consent_answer(value, dispatcher)

    def validate_phone_number(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        # Seed 000: a callback is ordered to one's own Beeline number only.
        return validate_phone_answer(value, dispatcher, beeline_only=True)

    def validate_callback_topic(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"callback_topic": " ".join(str(value or "").split())[:255] or "-"}


class ActionFileCallback(Action):
    def name(self) -> Text:
        return "action_file_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        go, events = await ready_to_file(dispatcher, tracker, "callback")
        events.append(SlotSet("callback_open", None))
        if not go:
            return events
        row, failed = await file_or_hand_off(
            dispatcher,
            tracker,
            lambda: callback.file(
                conversation_id=tracker.sender_id,
                phone=tracker.get_slot("phone_number"),
                topic=tracker.get_slot("callback_topic") or "",
                language=conversation_language(tracker),
                channel=channel_of(tracker),
                now=utcnow(),
            ),
            what="a callback",
            reason="callback_failed",
            logger=logger,
        )
        if row is None:
            return events + failed
        dispatcher.utter_message(
            response="utter_callback_created", callback_id=str(row.id), phone_number=tracker.get_slot("phone_number")
        )
        return events + ask_csat(dispatcher, "callback")
