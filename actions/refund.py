"""Payment to a wrong login: collect, check the 30-day window, decide on the receipt, file."""

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
from actions.payment_data import (
    validate_amount_answer,
    validate_date_answer,
    validate_email_answer,
    validate_name_answer,
)
from actions.phone import validate_phone_answer
from actions.receipts import tell_receipts
from bot.office import refund
from bot.office.models import utcnow
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
        if paid and not refund.in_time(date.fromisoformat(paid), today_astana()):
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
        filed, failed = await file_or_hand_off(
            dispatcher,
            tracker,
            lambda: refund.file(
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
            ),
            what="a refund request",
            reason="refund_failed",
            logger=logger,
        )
        if filed is None:
            return events + failed
        decision = filed.decision
        if decision.required:
            dispatcher.utter_message(response=f"utter_receipt_reason_{decision.reason}")
            if not tell_receipts(dispatcher, tracker, filed.id, filed.receipts_attached):
                dispatcher.utter_message(response="utter_receipt_required")
        else:
            dispatcher.utter_message(response="utter_receipt_not_required")
        dispatcher.utter_message(response="utter_refund_created", refund_id=str(filed.id))
        filed_events = [SlotSet("refund_id", str(filed.id)), SlotSet("receipt_required", decision.required)]
        return events + filed_events + ask_csat(dispatcher, "refund")
