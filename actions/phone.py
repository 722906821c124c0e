"""Asking for a contact phone number.

Every number Dana collects today is one to reach the customer on: a specialist
calling to agree a technician visit, a callback, the contact of a refund or of a
payment investigation. A Kazakhstan landline is reached as well as a mobile, so
every form takes both. The seeds need a mobile only for an SMS (the Personal
cabinet password) or the My Beeline login, and no form here does either.

Each form asks in its own words (``utter_ask_<form>_phone_number``); a number
that will not do is asked again with what is wrong with it.
"""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa_sdk.executor import CollectingDispatcher

from bot.parsing.phone import FOREIGN, MISSING, SERVICE, TOO_LONG, TOO_SHORT, UNKNOWN, check_phone

PROBLEM_RESPONSES = {
    MISSING: "utter_phone_missing",
    TOO_SHORT: "utter_phone_too_short",
    TOO_LONG: "utter_phone_too_long",
    FOREIGN: "utter_phone_foreign",
    SERVICE: "utter_phone_service",
    UNKNOWN: "utter_phone_unknown",
}


def validate_phone_answer(value: Any, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
    """The answer's number as +7XXXXXXXXXX (a Kazakhstan mobile or landline), or
    None with the reason said, in the conversation's language."""
    check = check_phone(str(value or ""))
    if check.value:
        return {"phone_number": check.value}
    dispatcher.utter_message(response=PROBLEM_RESPONSES[check.problem])
    return {"phone_number": None}
