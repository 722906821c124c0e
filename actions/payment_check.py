"""Payment not credited: after 24 hours, a payment investigation (answer in 3 days)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import DanaFormValidator
from actions.consent import validate_consent_answer
from actions.conversation import channel_of
from actions.csat import ask_csat
from actions.filing import file_or_hand_off, ready_to_file
from actions.login import validate_login_answer
from actions.payment_data import validate_amount_answer, validate_date_answer, validate_partner_answer
from actions.phone import validate_phone_answer
from actions.receipts import tell_receipts
from bot.office import payment_check
from bot.office.models import utcnow

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
        filed, failed = await file_or_hand_off(
            dispatcher,
            tracker,
            lambda: payment_check.file(
                conversation_id=tracker.sender_id,
                login=tracker.get_slot("login"),
                payment_date=date.fromisoformat(tracker.get_slot("payment_date")),
                amount=int(tracker.get_slot("amount")),
                partner=tracker.get_slot("partner_name"),
                contact_phone=tracker.get_slot("phone_number"),
                channel=channel_of(tracker),
                now=utcnow(),
                payment_time=tracker.get_slot("payment_time"),
            ),
            what="a payment investigation",
            reason="investigation_failed",
            logger=logger,
        )
        if filed is None:
            return events + failed
        dispatcher.utter_message(response="utter_investigation_created", investigation_id=str(filed.id))
        tell_receipts(dispatcher, tracker, filed.id, filed.receipts_attached)
        return events + [SlotSet("investigation_id", str(filed.id))] + ask_csat(dispatcher, "payment_check")
