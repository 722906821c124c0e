"""Asking for a contact phone number."""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa_sdk.executor import CollectingDispatcher

from bot.parsing.phone import find_phones, normalise_phone


def validate_phone_answer(value: Any, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
    text = str(value or "")
    phone = normalise_phone(text) or next((p[2] for p in find_phones(text)), None)
    if phone:
        return {"phone_number": phone}
    dispatcher.utter_message(response="utter_phone_invalid")
    return {"phone_number": None}
