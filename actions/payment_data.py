"""Answers about a payment: amount, date, payer's name, e-mail, partner."""

from __future__ import annotations

import re
from typing import Any, Dict, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.config import LIMITS
from bot.text.parsing.amount import parse_amount
from bot.text.parsing.dates import parse_payment_date, parse_payment_time, today_astana
from bot.text.parsing.email import find_emails
from bot.text.parsing.names import clean_full_name

# «не 12000, а 5000», «12 мың емес, 5 мың», «вместо 12000 — 5000»: of two values
# the one said last is meant.
_CORRECTION = re.compile(r"(?<!\w)(не|емес|вместо|орнына|дұрысы|дурысы|точнее|а именно)(?!\w)", re.IGNORECASE)


def _entity(tracker: Tracker, name: str):
    """The value of an entity in the latest message; in a correction that names
    the old value and the new one, the new one."""
    message = tracker.latest_message or {}
    values = [e.get("value") for e in message.get("entities", []) if e.get("entity") == name]
    if len(values) > 1 and _CORRECTION.search(message.get("text") or ""):
        return values[-1]
    return values[0] if values else None


# Entities that answer a form question. A message carrying one of them while
# another question is open corrects that earlier answer («не 5000, а 5500»).
_ANSWER_ENTITIES = ("login", "amount", "payment_date", "full_name", "phone_number", "email")


def corrects_earlier_answer(tracker: Tracker, own_entity: str) -> bool:
    """The message answers an earlier question, not the one asked now.

    The open question's free-text mapping also took the message; its validator
    then re-asks quietly instead of calling the correction invalid.
    """
    return _entity(tracker, own_entity) is None and any(
        _entity(tracker, other) is not None for other in _ANSWER_ENTITIES if other != own_entity
    )


def validate_amount_answer(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    amount = _entity(tracker, "amount")
    if amount is None:
        if corrects_earlier_answer(tracker, "amount"):
            return {"amount": None}
        amount = value if isinstance(value, (int, float)) else parse_amount(str(value or ""))
    if amount and 0 < float(amount) <= LIMITS.max_payment_amount:
        if tracker.get_slot("requested_slot") not in (None, "amount"):
            dispatcher.utter_message(response="utter_answer_corrected")
        return {"amount": float(int(amount))}
    dispatcher.utter_message(response="utter_amount_invalid")
    return {"amount": None}


def validate_date_answer(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    iso = _entity(tracker, "payment_date")
    if iso is None:
        if corrects_earlier_answer(tracker, "payment_date"):
            return {"payment_date": None}
        parsed = parse_payment_date(str(value or ""))
        iso = parsed.isoformat() if parsed else None
    if iso and iso <= today_astana().isoformat():
        if tracker.get_slot("requested_slot") not in (None, "payment_date"):
            dispatcher.utter_message(response="utter_answer_corrected")
        # The FAQ asks for the date and time; a time said with the date is kept.
        paid_at = parse_payment_time(tracker.latest_message.get("text") or "")
        return {"payment_date": iso, **({"payment_time": paid_at} if paid_at else {})}
    dispatcher.utter_message(response="utter_date_invalid")
    return {"payment_date": None}


def validate_name_answer(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    name = _entity(tracker, "full_name")
    if name is None and corrects_earlier_answer(tracker, "full_name"):
        return {"full_name": None}
    name = name or clean_full_name(str(value or ""))
    if name:
        return {"full_name": name}
    dispatcher.utter_message(response="utter_ask_full_name")
    return {"full_name": None}


def validate_email_answer(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    """E-mail is optional: «жоқ» / «нет» skips it ("-")."""
    if value == "-":
        return {"email": "-"}
    found = find_emails(str(value or ""))
    if found:
        return {"email": found[0][2]}
    if corrects_earlier_answer(tracker, "email"):
        return {"email": None}
    dispatcher.utter_message(response="utter_ask_email")
    return {"email": None}


def validate_partner_answer(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    if corrects_earlier_answer(tracker, "partner_name"):
        return {"partner_name": None}
    partner = " ".join(str(value or "").split())[:120]
    if len(partner) >= 2:
        return {"partner_name": partner}
    dispatcher.utter_message(response="utter_ask_partner_name")
    return {"partner_name": None}
