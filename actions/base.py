"""Helpers shared by the actions. No I/O at import time."""
from __future__ import annotations

from rasa_sdk import Tracker

from bot.config import DEFAULT_LANGUAGE, LANGUAGES

# Intents that say what the conversation is about (not yes/no/data).
_NON_TOPIC = {"affirm", "deny", "inform", "greet", "thank", "goodbye", "nlu_fallback",
              "request_human", "switch_language", "bot_challenge"}


def conversation_language(tracker: Tracker) -> str:
    language = tracker.get_slot("language")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def last_topic_intent(tracker: Tracker) -> str | None:
    """The latest intent that names a problem, for an operator's context."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            name = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if name and name not in _NON_TOPIC:
                return name
    return None
