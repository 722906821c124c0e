"""Technician visit: after the diagnostics (stories/rules/diagnostics.yml offers it,
stories/rules/technician.yml takes it), consent and a contact phone → a ticket (one
per login). And a request's status: the queue, the 27th–4th note, and with a login
the open ticket's deadlines."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import DanaFormValidator, conversation_language, last_topic_intent, raise_if_database_down
from actions.consent import validate_consent_answer
from actions.conversation import channel_of
from actions.csat import ask_csat
from actions.diagnostics import tell_outage, tell_ticket
from actions.filing import file_or_hand_off, ready_to_file
from actions.login import validate_login_answer
from actions.phone import validate_phone_answer
from bot.config import ASTANA, POLICY
from bot.office import diagnostics, schedule, technician
from bot.office.models import utcnow

logger = logging.getLogger(__name__)


class ValidateTechnicianForm(DanaFormValidator):
    def name(self) -> Text:
        return "validate_technician_form"

    def validate_login(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_login_answer(value, dispatcher, tracker)

    def validate_consent(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_consent_answer(value, dispatcher)

    def validate_phone_number(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return validate_phone_answer(value, dispatcher)


class ActionFileTicket(Action):
    """Files the visit, unless an outage or an open ticket makes it pointless."""

    def name(self) -> Text:
        return "action_file_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        go, events = await ready_to_file(dispatcher, tracker, "technician_visit")
        if not go:
            return events
        now = utcnow()
        visit, failed = await file_or_hand_off(
            dispatcher,
            tracker,
            lambda: diagnostics.file_visit(
                login=tracker.get_slot("login"),
                problem=last_topic_intent(tracker) or "request_technician",
                contact_phone=tracker.get_slot("phone_number"),
                channel=channel_of(tracker),
                language=conversation_language(tracker),
                now=now,
                conversation_id=tracker.sender_id,
            ),
            what="a technician visit",
            reason="ticket_failed",
            logger=logger,
            apology="utter_ticket_failed",
        )
        if visit is None:
            return events + failed
        ticket = visit.ticket
        if ticket is None:  # the diagnosis made a visit pointless
            if visit.diagnosis.kind == "outage":
                tell_outage(dispatcher, tracker, visit.diagnosis.outage)
            else:  # a line fault with the month's fee unpaid
                dispatcher.utter_message(response="utter_fee_unpaid")
            return events
        if not visit.created:
            tell_ticket(dispatcher, ticket, "utter_ticket_exists")
        elif schedule.technicians_working(now):
            tell_ticket(dispatcher, ticket, "utter_ticket_created")
        else:  # one message: «within 2 hours» would not hold before 09:00
            tell_ticket(dispatcher, ticket, "utter_ticket_created_after_hours", callback_from=_next_work_start(now))
        if schedule.in_billing_period(now.astimezone(ASTANA).date()):
            dispatcher.utter_message(response="utter_billing_period_note")
        # Only a ticket filed now is rated: an existing one was filed (and asked about) before.
        asked = ask_csat(dispatcher, "technician") if visit.created else []
        return events + [SlotSet("ticket_id", str(ticket.id))] + asked


def _next_work_start(now) -> str:
    """When a specialist can call: today's or tomorrow's 09:00, Astana (ISO;
    the NLG shows it as the customer reads it)."""
    from datetime import datetime, timedelta

    local = now.astimezone(ASTANA)
    start = datetime.combine(local.date(), POLICY.work_start, tzinfo=ASTANA)
    if local >= start:
        start += timedelta(days=1)
    return start.isoformat()


class ActionBillingPeriodNote(Action):
    """Adds the 27th–4th load note to an answer about waiting, when it applies."""

    def name(self) -> Text:
        return "action_billing_period_note"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if schedule.in_billing_period(schedule.now_astana().date()):
            dispatcher.utter_message(response="utter_billing_period_note")
        return []


class ActionTicketStatus(Action):
    """«When will the technician come?» with a login: the open ticket's deadlines."""

    def name(self) -> Text:
        return "action_ticket_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        login = tracker.get_slot("login")
        if not login:
            dispatcher.utter_message(response="utter_ask_login")
            return []
        try:
            ticket = technician.open_ticket(login)
        except Exception as error:
            raise_if_database_down(error)
            logger.exception("ticket lookup failed")
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        if ticket:
            tell_ticket(dispatcher, ticket)
        else:
            dispatcher.utter_message(response="utter_no_open_ticket", login=login)
        return []
