"""Asking for a Home Internet login: shape check, lookup, three strikes."""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.config import LIMITS
from bot.db import new_session
from bot.parsing.login import find_logins, is_login_shaped
from bot.requests import login_exists


def _candidate(value: Any, tracker: Tracker) -> str | None:
    """The login in the answer: an extracted entity, or a login-shaped word."""
    for entity in (tracker.latest_message or {}).get("entities", []):
        if entity.get("entity") == "login":
            return str(entity.get("value"))
    text = str(value or "").strip()
    found = find_logins(text)
    if found:
        return found[0][2]
    words = text.split()
    return words[0] if len(words) == 1 and is_login_shaped(words[0]) else None


def validate_login_answer(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          slot: str = "login", must_exist: bool = True) -> Dict[Text, Any]:
    """Slots to set for an answer to «what is your login?».

    An unknown or malformed login is a strike; after LIMITS.login_attempts the
    form ends with ``login_failed`` so the submit action hands over to an operator.
    """
    attempts = int(tracker.get_slot("login_attempts") or 0)
    login = _candidate(value, tracker)
    if login and (not must_exist or _exists(login)):
        return {slot: login, "login_attempts": 0}
    attempts += 1
    if attempts >= LIMITS.login_attempts:
        dispatcher.utter_message(response="utter_login_too_many_attempts")
        return {slot: None, "login_attempts": 0, "login_failed": True, "requested_slot": None}
    if login:
        dispatcher.utter_message(response="utter_login_unknown", login=login)
    else:
        dispatcher.utter_message(response="utter_login_invalid", login_attempt=str(value or "")[:40])
    return {slot: None, "login_attempts": attempts}


def _exists(login: str) -> bool:
    with new_session() as session:
        return login_exists(session, login)
