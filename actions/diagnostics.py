"""Line diagnostics for internet_down / unstable / slow / cable_damaged / tv_not_working.

Order from the FAQ: active outage → open ticket → line fault → nothing found.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import DanaFormValidator, conversation_language, last_topic_intent, raise_if_database_down
from actions.conversation import channel_of
from actions.handoff import hand_off
from actions.login import validate_login_answer
from bot.office import diagnostics, notices, outages
from bot.office.models import utcnow

logger = logging.getLogger(__name__)

# The topics that say the connection is gone: with a login and no outage declared
# for its area, each is a report towards a suspected outage (bot/office/outages.py).
# A slow or unstable line, a cut cable, a TV box say less about the whole street.
REPORTS_NO_CONNECTION = ("internet_down",)


class ValidateDiagnosticsForm(DanaFormValidator):
    def name(self) -> Text:
        return "validate_diagnostics_form"

    def validate_login(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return validate_login_answer(value, dispatcher, tracker)


def tell_ticket(dispatcher: CollectingDispatcher, ticket, response: str = "utter_ticket_exists", **extra: str) -> None:
    """Facts only: the status code and ISO times. The NLG (bot/server/nlg.py) says the
    status in the customer's language (utter_term_ticket_status_<code>) and the
    times as they read them, in Astana time."""
    dispatcher.utter_message(
        response=response,
        ticket_id=str(ticket.id),
        ticket_status=ticket.status,
        callback_due=ticket.callback_due.isoformat(),
        visit_due=ticket.visit_due.isoformat(),
        resolve_due=ticket.resolve_due.isoformat(),
        **extra,
    )


def tell_outage(dispatcher: CollectingDispatcher, tracker: Tracker, outage) -> None:
    """The outage and its ETA; the customer will also hear when it is over."""
    area = outage.area.split(",")[0]  # the city only: a login must not reveal an address
    try:
        notices.told_about_outage(outage.id, tracker.sender_id, channel_of(tracker), tracker.get_slot("login"))
    except Exception as error:  # they still hear about the outage, just not its end
        raise_if_database_down(error)
        logger.exception("could not note who was told about outage %s", outage.id)
    if outage.expected_end:
        dispatcher.utter_message(response="utter_outage_found", area=area, eta=outage.expected_end.isoformat())
    else:
        dispatcher.utter_message(response="utter_outage_found_no_eta", area=area)


def report_no_connection(tracker: Tracker, subscriber, now) -> None:
    """No outage is declared for the customer's area: if they said the internet is
    down, that is a report towards a suspected outage. Recorded after the answer
    (bot/office/outages.py); nothing here can fail the customer's turn."""
    try:
        if last_topic_intent(tracker) not in REPORTS_NO_CONNECTION:
            return
        outages.report_in_background(
            login=subscriber.login,
            area=subscriber.area,
            conversation_id=tracker.sender_id,
            channel=channel_of(tracker),
            language=conversation_language(tracker),
            now=now,
        )
    except Exception:
        logger.exception("could not report no connection")


class ActionRunDiagnostics(Action):
    """Runs after the diagnostics form; sets ``diagnosis`` for the rules that follow."""

    def name(self) -> Text:
        return "action_run_diagnostics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        if tracker.get_slot("form_cancelled"):
            return [SlotSet("form_cancelled", None), SlotSet("diagnosis", "cancelled")]
        if tracker.get_slot("login_failed") or not tracker.get_slot("login"):
            events = await hand_off(dispatcher, tracker, reason="login_not_found")
            return events + [SlotSet("login_failed", None), SlotSet("diagnosis", "handoff")]
        now = utcnow()
        try:
            found = diagnostics.diagnose_login(tracker.get_slot("login"), now)
        except Exception as error:
            raise_if_database_down(error)
            logger.exception("diagnostics failed")
            dispatcher.utter_message(response="utter_service_unavailable")
            return [SlotSet("diagnosis", "unavailable")]
        if found.kind != "outage" and found.subscriber is not None:
            report_no_connection(tracker, found.subscriber, now)
        if found.kind == "outage":
            tell_outage(dispatcher, tracker, found.outage)
        elif found.kind == "open_ticket":
            tell_ticket(dispatcher, found.ticket)
        elif found.kind == "line_fault":
            dispatcher.utter_message(response="utter_line_fault", fault=found.fault)
        elif found.kind == "no_fault":
            dispatcher.utter_message(response="utter_no_fault_found")
        return [SlotSet("diagnosis", found.kind)]


class ActionCheckFee(Action):
    """Before a cable repair: the month's fee must be paid on the login."""

    def name(self) -> Text:
        return "action_check_fee"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        try:
            found = diagnostics.diagnose_login(tracker.get_slot("login"), utcnow())
        except Exception as error:
            raise_if_database_down(error)
            logger.exception("fee check failed")
            dispatcher.utter_message(response="utter_service_unavailable")
            return [SlotSet("fee_paid", None)]
        if found.fee_unpaid:
            dispatcher.utter_message(response="utter_fee_unpaid")
            return [SlotSet("fee_paid", False)]
        return [SlotSet("fee_paid", True)]
