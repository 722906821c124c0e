"""Answers whose content depends on the clock or on a login's open ticket."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import logging

from bot.office import schedule

logger = logging.getLogger(__name__)


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
        from actions.diagnostics import tell_ticket
        from actions.base import raise_if_database_down
        from bot.office.db import new_session
        from bot.office.tickets import open_ticket_for

        login = tracker.get_slot("login")
        if not login:
            dispatcher.utter_message(response="utter_ask_login")
            return []
        try:
            with new_session() as session:
                ticket = open_ticket_for(session, login)
                if ticket:
                    tell_ticket(dispatcher, ticket)
                else:
                    dispatcher.utter_message(response="utter_no_open_ticket", login=login)
        except Exception as error:
            raise_if_database_down(error)
            logger.exception("ticket lookup failed")
            dispatcher.utter_message(response="utter_service_unavailable")
        return []
