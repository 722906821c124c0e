"""Payment not credited: after 24 hours, a payment investigation (answer in 3 days)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import DanaFormValidator, raise_if_database_down
from actions.consent import validate_consent_answer
from actions.conversation import channel_of
from actions.filing import ready_to_file
from actions.handoff import hand_off
from actions.login import validate_login_answer
from actions.payment_data import validate_amount_answer, validate_date_answer, validate_partner_answer
from actions.phone import validate_phone_answer
from bot.config import ATTACHMENT_CHANNELS
from bot.office.db import new_session
from bot.office.models import utcnow
from bot.office.payment_check import file_investigation
from bot.office.receipts import attach_pending

logger = logging.getLogger(__name__)


class ValidateInvestigationForm(DanaFormValidator):
    def name(self) -> Text:
        return "validate_investigation_form"

    def validate_login(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_login_answer(value, dispatcher, tracker)

    def validate_payment_date(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_date_answer(value, dispatcher, tracker)

    def validate_amount(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_amount_answer(value, dispatcher, tracker)

    def validate_partner_name(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_partner_answer(value, dispatcher, tracker)

    def validate_consent(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_consent_answer(value, dispatcher)

    def validate_phone_number(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_phone_answer(value, dispatcher)


class ActionFileInvestigation(Action):
    def name(self) -> Text:
        return "action_file_investigation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        go, events = await ready_to_file(dispatcher, tracker, "payment_investigation")
        if not go:
            return events
        try:
            with new_session() as session, session.begin():
                row = file_investigation(
                    session,
                    conversation_id=tracker.sender_id,
                    login=tracker.get_slot("login"),
                    payment_date=date.fromisoformat(tracker.get_slot("payment_date")),
                    amount=int(tracker.get_slot("amount")),
                    partner=tracker.get_slot("partner_name"),
                    contact_phone=tracker.get_slot("phone_number"),
                    channel=channel_of(tracker),
                    now=utcnow(),
                    payment_time=tracker.get_slot("payment_time"),
                )
                attached = attach_pending(session, tracker.sender_id, "investigation", row.id)
        except Exception as error:
            raise_if_database_down(error)
            logger.exception("filing a payment investigation failed")
            dispatcher.utter_message(response="utter_service_unavailable")
            return events + await hand_off(dispatcher, tracker, "investigation_failed")
        dispatcher.utter_message(response="utter_investigation_created", investigation_id=str(row.id))
        if attached:
            dispatcher.utter_message(response="utter_receipt_attached", request_id=str(row.id))
        elif channel_of(tracker) in ATTACHMENT_CHANNELS:
            dispatcher.utter_message(response="utter_receipt_upload_prompt")
        return events + [SlotSet("investigation_id", str(row.id))]
