"""Customer satisfaction: one rating question after a filed request or a closed
hand-off, and the answer stored with the flow, channel and language
(bot/office/csat.py) for ``python -m bot stats``.

The question waits in the slot ``csat_flow`` (the flow it follows). Nothing
else waits for it: a customer who goes on with something else is answered as
ever, and a rating given later still counts for that flow.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import conversation_language, raise_if_database_down
from actions.conversation import channel_of
from bot.office import csat
from bot.office.models import utcnow

logger = logging.getLogger(__name__)

PENDING = "csat_flow"
RATING = "rating"
# A transferred call is with a person now; Dana never speaks on it again.
NOT_ASKED_ON = ("voice",)


def ask_csat(dispatcher: CollectingDispatcher, flow: str) -> List[Dict[Text, Any]]:
    """The rating question for ``flow``. A submit action calls it last, once its
    request is filed and confirmed: the question is the last thing said."""
    dispatcher.utter_message(response="utter_ask_csat")
    return [SlotSet(PENDING, flow)]


def rating_of(tracker: Tracker) -> int | None:
    """The rating of the latest message (the NLU's entity or a button's), if on the scale."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == RATING:
            return csat.on_scale(entity.get("value"))
    return None


class ActionAskCsat(Action):
    """The question after an operator closed a hand-off. The operator desk runs it
    with ``agent.execute_action``, outside any turn; that adds no listen after it,
    so it ends with one itself: the customer's next message (the rating, or
    anything else) is then a fresh turn for the rules. Never put it in a rule."""

    def name(self) -> Text:
        return "action_ask_csat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if channel_of(tracker) in NOT_ASKED_ON:
            return []
        return ask_csat(dispatcher, "handoff") + [ActionExecuted("action_listen")]


class ActionStoreCsat(Action):
    def name(self) -> Text:
        return "action_store_csat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        flow = tracker.get_slot(PENDING)
        rating = rating_of(tracker)
        if rating is None:  # «на отлично», «10»: no mark on the scale
            dispatcher.utter_message(response="utter_ask_csat" if flow else "utter_default")
            return []
        if not flow:
            # A second tap on an old button, or «ставлю 5» nobody asked for: thanked,
            # not stored — the statistics count one answer per question asked.
            dispatcher.utter_message(response="utter_csat_thanks")
            return []
        try:
            csat.record(
                conversation_id=tracker.sender_id,
                rating=rating,
                flow=flow,
                channel=channel_of(tracker),
                language=conversation_language(tracker),
                now=utcnow(),
            )
        except Exception as error:  # a lost rating is no reason to trouble the customer
            raise_if_database_down(error)
            logger.exception("storing a rating failed")
        dispatcher.utter_message(response="utter_csat_thanks")
        return [SlotSet(PENDING, None)]
