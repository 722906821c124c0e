"""Asking for a contact phone number.

Every number Dana collects today is one to reach the customer on: a specialist
calling to agree a technician visit, a callback, the contact of a refund or of a
payment investigation. A Kazakhstan landline is reached as well as a mobile, so
every form takes both — except a callback: seed 000 offers callback ordering
only to one's own Beeline number, so that form takes only a mobile of Beeline's
ranges (``beeline_only``). The seeds need a mobile otherwise only for an SMS (the
Personal cabinet password) or the My Beeline login, and no form here does either.

Each form asks in its own words (``utter_ask_<form>_phone_number``); a number
that will not do is asked again with what is wrong with it.
"""

from __future__ import annotations

from typing import Any, Dict, Text

from rasa_sdk.executor import CollectingDispatcher

from bot.text.parsing.phone import (
    BEELINE,
    FOREIGN,
    MISSING,
    MOBILE,
    SERVICE,
    TOO_LONG,
    TOO_SHORT,
    UNKNOWN,
    check_phone,
    network_of,
)

PROBLEM_RESPONSES = {
    MISSING: "utter_phone_missing",
    TOO_SHORT: "utter_phone_too_short",
    TOO_LONG: "utter_phone_too_long",
    FOREIGN: "utter_phone_foreign",
    SERVICE: "utter_phone_service",
    UNKNOWN: "utter_phone_unknown",
}


def validate_phone_answer(value: Any, dispatcher: CollectingDispatcher, beeline_only: bool = False) -> Dict[Text, Any]:
    """The answer's number as +7XXXXXXXXXX (a Kazakhstan mobile or landline; with
    ``beeline_only`` a mobile whose range is not another operator's), or None with
    the reason said, in the conversation's language."""
    check = check_phone(str(value or ""))
    if not check.value:
        assert check.problem is not None  # check_phone gives a value or a problem, never neither
        dispatcher.utter_message(response=PROBLEM_RESPONSES[check.problem])
        return {"phone_number": None}
    if beeline_only and (check.kind != MOBILE or network_of(check.value) not in (BEELINE, "")):
        dispatcher.utter_message(response="utter_phone_not_beeline")
        return {"phone_number": None}
    return {"phone_number": check.value}
