"""Payment to a wrong login: collect, check the 30-day window, decide on the receipt, file."""

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
from actions.payment_data import (
    validate_amount_answer,
    validate_date_answer,
    validate_email_answer,
    validate_name_answer,
)
from actions.phone import validate_phone_answer
from bot.config import ATTACHMENT_CHANNELS
from bot.office.db import new_session
from bot.office.models import utcnow
from bot.office.receipts import attach_pending
from bot.office.refund import file_refund, in_time
from bot.text.parsing.dates import today_astana

logger = logging.getLogger(__name__)


class ValidateWrongPaymentForm(DanaFormValidator):
    def name(self) -> Text:
        return "validate_wrong_payment_form"

    def validate_right_login(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_login_answer(value, dispatcher, tracker, slot="right_login")

    def validate_wrong_login(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        # The wrong login may not exist at all: that only makes a receipt necessary.
        return validate_login_answer(value, dispatcher, tracker, slot="wrong_login", must_exist=False)

    def validate_amount(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_amount_answer(value, dispatcher, tracker)

    def validate_payment_date(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        slots = validate_date_answer(value, dispatcher, tracker)
        paid = slots.get("payment_date")
        if paid and not in_time(date.fromisoformat(paid), today_astana()):
            dispatcher.utter_message(response="utter_refund_expired", payment_date=paid)
            return {"payment_date": paid, "refund_expired": True, "requested_slot": None}
        return slots

    def validate_consent(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_consent_answer(value, dispatcher)

    def validate_full_name(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_name_answer(value, dispatcher, tracker)

    def validate_phone_number(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_phone_answer(value, dispatcher)

    def validate_email(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_email_answer(value, dispatcher, tracker)


class ActionSubmitRefund(Action):
    def name(self) -> Text:
        return "action_submit_refund"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        if tracker.get_slot("refund_expired"):
            return [SlotSet("refund_expired", None)]
        go, events = await ready_to_file(dispatcher, tracker, "wrong_payment_refund")
        if not go:
            return events
        email = tracker.get_slot("email")
        try:
            with new_session() as session, session.begin():
                refund, decision = file_refund(
                    session,
                    conversation_id=tracker.sender_id,
                    right_login=tracker.get_slot("right_login"),
                    wrong_login=tracker.get_slot("wrong_login"),
                    amount=int(tracker.get_slot("amount")),
                    payment_date=date.fromisoformat(tracker.get_slot("payment_date")),
                    payer_name=tracker.get_slot("full_name"),
                    contact_phone=tracker.get_slot("phone_number"),
                    email=None if email in (None, "-") else email,
                    channel=channel_of(tracker),
                    now=utcnow(),
                    payment_time=tracker.get_slot("payment_time"),
                )
                attached = attach_pending(session, tracker.sender_id, "refund", refund.id)
        except Exception as error:
            raise_if_database_down(error)
            logger.exception("filing a refund request failed")
            dispatcher.utter_message(response="utter_service_unavailable")
            return events + await hand_off(dispatcher, tracker, "refund_failed")
        if decision.required:
            dispatcher.utter_message(response=f"utter_receipt_reason_{decision.reason}")
            if attached:
                dispatcher.utter_message(response="utter_receipt_attached", request_id=str(refund.id))
            elif channel_of(tracker) in ATTACHMENT_CHANNELS:
                dispatcher.utter_message(response="utter_receipt_upload_prompt")
            else:
                dispatcher.utter_message(response="utter_receipt_required")
        else:
            dispatcher.utter_message(response="utter_receipt_not_required")
        dispatcher.utter_message(response="utter_refund_created", refund_id=str(refund.id))
        return events + [SlotSet("refund_id", str(refund.id)), SlotSet("receipt_required", decision.required)]
