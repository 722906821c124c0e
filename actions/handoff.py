"""Hand a conversation to a live operator, with the context they need."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from actions.base import conversation_language, last_topic_intent, latest_intent, raise_if_database_down
from actions.conversation import channel_of
from bot.config import LIMITS
from bot.office import schedule
from bot.office.handoff import record_handoff
from bot.office.handoff_delivery import deliver_in_background

logger = logging.getLogger(__name__)

# What an operator needs to continue without asking again.
CONTEXT_SLOTS = (
    "login",
    "phone_number",
    "right_login",
    "wrong_login",
    "amount",
    "payment_date",
    "payment_time",
    "full_name",
    "email",
    "partner_name",
    "callback_topic",
    "diagnosis",
)


def summary_of(tracker: Tracker) -> str:
    parts = [f"{slot}={tracker.get_slot(slot)}" for slot in CONTEXT_SLOTS if tracker.get_slot(slot) not in (None, "")]
    return "; ".join(parts)


def transcript_of(tracker: Tracker) -> List[Dict[str, Any]]:
    """The conversation so far as the operator reads it (the desk's format:
    bot/server/operator_desk.py transcript)."""
    said: List[Dict[str, Any]] = []
    for event in tracker.events:
        kind, text = event.get("event"), event.get("text")
        if kind == "user" and text:
            said.append({"from": "customer", "text": text, "timestamp": event.get("timestamp")})
        elif kind == "bot" and text:
            said.append({"from": "dana", "text": text, "timestamp": event.get("timestamp")})
    return said[-LIMITS.transcript_messages :]


def handoff_context(tracker: Tracker, reason: str) -> Dict[str, Any]:
    """What the operator's side receives: language, problem, login, collected
    data and the conversation so far."""
    return {
        "language": conversation_language(tracker),
        "intent": last_topic_intent(tracker),
        "reason": reason,
        "login": tracker.get_slot("login"),
        "collected": {s: tracker.get_slot(s) for s in CONTEXT_SLOTS if tracker.get_slot(s) not in (None, "")},
        "summary": summary_of(tracker),
        "transcript": transcript_of(tracker),
    }


async def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> List[Dict[Text, Any]]:
    """Record the hand-off, tell the customer what happens next, signal the
    channel (a custom payload ``{"handoff": {...}}``) so it can transfer the call
    or notify operators, and step back: the conversation is paused until an
    operator closes it or nobody takes it in time (bot/server/operator_desk.py)."""
    context = handoff_context(tracker, reason)
    context["after_hours"] = not schedule.operators_on_duty(schedule.now_astana())
    context.update(conversation_id=tracker.sender_id, channel=channel_of(tracker))
    try:
        context["handoff_id"] = record_handoff(
            conversation_id=tracker.sender_id,
            language=context["language"],
            intent=context["intent"],
            reason=reason,
            summary=context["summary"],
            channel=context["channel"],
            context=context,
        )
    except Exception as error:  # the customer still hears what happens next
        raise_if_database_down(error)
        logger.exception("could not record a hand-off")
    else:
        # The contact centre learns of it after the customer's reply is sent.
        deliver_in_background(context["handoff_id"], context)
    dispatcher.utter_message(response="utter_handoff_after_hours" if context["after_hours"] else "utter_handoff")
    dispatcher.utter_message(json_message={"handoff": context})  # the IVR transfers the call with it
    return [ConversationPaused()]


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        reason = "requested" if latest_intent(tracker) == "request_human" else "fallback"
        return await hand_off(dispatcher, tracker, reason)
