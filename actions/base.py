"""Helpers shared by the actions, and the base class of every form validator.

No I/O at import time; the back office is reached through its services (bot/office/), each call with its own session.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any, Dict, List, Text

import yaml
from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.login import offers_caller_login
from actions.receipts import acknowledge_receipt
from bot.config import ROOT
from bot.office.db import database_unavailable
from bot.project_domain import project_domain_dict
from bot.text.language.reply import reply_language

logger = logging.getLogger(__name__)

# Intents that say what the conversation is about (not yes/no/data).
_NON_TOPIC = {
    "affirm",
    "deny",
    "inform",
    "greet",
    "thank",
    "goodbye",
    "nlu_fallback",
    "choose_topic",
    "request_human",
    "switch_language",
    "bot_challenge",
    "out_of_scope",
    "rate_service",
}


def raise_if_database_down(error: Exception) -> None:
    """A database restart is waited out, not reported: the action fails (HTTP
    500) and Rasa runs it again when the database is back (bot/server/resilience.py).
    Telling the customer "it failed" would end their request there."""
    if database_unavailable(error):
        raise error


def conversation_language(tracker: Tracker) -> str:
    """The conversation's language (the ``language`` slot), else Kazakh (bot/text/language/reply.py)."""
    return reply_language(conversation=tracker.get_slot("language"))


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message or {}).get("intent", {}).get("name")


def last_topic_intent(tracker: Tracker) -> str | None:
    """The latest intent that names a problem, for an operator's context."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            name = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if name and name not in _NON_TOPIC:
                return name
    return None


@lru_cache(maxsize=1)
def faq_answers() -> Dict[str, List[str]]:
    """intent → responses, read from the one-turn FAQ rules (the single source):
    the rules marked ``metadata: {faq: true}``, each in its flow's file
    (stories/rules/info.yml holds most)."""
    answers: Dict[str, List[str]] = {}
    for path in sorted((ROOT / "stories" / "rules").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule in data.get("rules") or []:
            if not (rule.get("metadata") or {}).get("faq"):
                continue
            steps = rule["steps"]
            answers[steps[0]["intent"]] = [s["action"] for s in steps[1:] if s["action"].startswith("utter_")]
    return answers


class DanaFormValidator(FormValidationAction, ABC):
    """Shared form behaviour.

    - A receipt sent in the middle of a form is acknowledged the same way.
    - A side question in the middle of a form («а сколько ждать?») is answered
      from the FAQ rules and the form asks its question again; what was
      already collected stays.
    - «Жоқ, керек емес» / «нет, не надо» to a data question cancels the form
      (consent and e-mail questions treat «no» as an answer).
    - «Давайте на русском» in the middle of a form switches the language (NLU
      set the slot) and the question is asked again in it — it is no answer
      to the question, and no strike against a login.
    rasa-sdk skips abstract classes, so this one is never registered.
    """

    @abstractmethod
    def name(self) -> Text:
        """validate_<form name>"""

    answers_no = ("consent", "email")
    free_text = ("callback_topic",)  # any words are the answer here

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        # Rasa sends no domain (endpoints.yml: enable_selective_domain, and
        # send_domain: false on each validate_ action, which Rasa would otherwise
        # send the whole domain, 66 KB a call); validators need their forms'
        # required slots from it.
        domain = domain or project_domain_dict()
        requested = tracker.get_slot("requested_slot")
        intent = latest_intent(tracker)
        if requested and intent == "switch_language":
            dispatcher.utter_message(response="utter_language_chosen")
            return [SlotSet(requested, None)]
        if requested and intent == "send_receipt":
            # A photo sent while Dana asks something else: keep it, say so, ask again.
            acknowledge_receipt(dispatcher, tracker)
            return [SlotSet(requested, None)]
        if requested and requested not in self.free_text and intent in faq_answers():
            for response in faq_answers()[intent]:
                dispatcher.utter_message(response=response)
            return [SlotSet(requested, None)]
        if requested == "login" and intent == "deny" and offers_caller_login(tracker):
            # «No» to «is your login <caller's>?»: ask for the login instead.
            return [SlotSet("login", None), SlotSet("caller_login_declined", True)]
        if requested and intent == "deny" and requested not in self.answers_no:
            dispatcher.utter_message(response="utter_form_cancelled")
            return [SlotSet(requested, None), SlotSet("requested_slot", None), SlotSet("form_cancelled", True)]
        return await super().run(dispatcher, tracker, domain)
