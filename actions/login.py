"""Asking for a Home Internet login: shape check, lookup, three strikes."""

from __future__ import annotations

from typing import Any, Dict, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.config import LIMITS
from bot.office import subscribers
from bot.text.parsing.login import find_logins, is_login_shaped


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


def caller_login(tracker: Tracker) -> str | None:
    """The login the voice gateway found for the caller's number (channels/voice.py
    puts it in the call's metadata), unless the caller said it is not theirs."""
    if tracker.get_slot("caller_login_declined"):
        return None
    for event in tracker.events:
        if event.get("event") == "user" and (event.get("metadata") or {}).get("caller_login"):
            return str(event["metadata"]["caller_login"])
    return None


def offers_caller_login(tracker: Tracker) -> bool:
    """Dana's open login question is «is it <caller login>?»."""
    return (
        tracker.get_slot("requested_slot") == "login"
        and caller_login(tracker) is not None
        and not tracker.get_slot("login_attempts")
    )


class ActionAskLogin(Action):
    """Asks for the login, or, on a call from a known number, to confirm it."""

    def name(self) -> Text:
        return "action_ask_login"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> list:
        known = caller_login(tracker)
        if known and not tracker.get_slot("login_attempts"):
            dispatcher.utter_message(response="utter_ask_login_caller", login=known)
        else:
            dispatcher.utter_message(response="utter_ask_login")
        return []


def validate_login_answer(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str = "login", must_exist: bool = True
) -> Dict[Text, Any]:
    """Slots to set for an answer to «what is your login?».

    An unknown or malformed login is a strike; after LIMITS.login_attempts the
    form ends with ``login_failed`` so the submit action hands over to an operator.
    «Yes» to «is it <caller login>?» takes the caller's login.
    """
    attempts = int(tracker.get_slot("login_attempts") or 0)
    if slot == "login" and offers_caller_login(tracker):
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        if intent == "affirm":
            return {slot: caller_login(tracker), "login_attempts": 0}
    login = _candidate(value, tracker)
    if login and (not must_exist or subscribers.exists(login)):
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
