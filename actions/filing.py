"""What every submit action checks before it files anything, and what it does
when filing fails."""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Text, Tuple, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import raise_if_database_down
from actions.consent import settle_consent
from actions.handoff import hand_off

T = TypeVar("T")


async def ready_to_file(
    dispatcher: CollectingDispatcher, tracker: Tracker, purpose: str
) -> Tuple[bool, List[Dict[Text, Any]]]:
    """(go ahead?, events so far): a cancelled form files nothing, a login that
    could not be found goes to an operator, and consent is recorded first."""
    if tracker.get_slot("form_cancelled"):
        return False, [SlotSet("form_cancelled", None)]
    if tracker.get_slot("login_failed"):
        return False, await hand_off(dispatcher, tracker, "login_not_found") + [SlotSet("login_failed", None)]
    events = settle_consent(tracker, purpose)
    return bool(tracker.get_slot("consent")), events


async def file_or_hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    filing: Callable[[], T],
    *,
    what: str,
    reason: str,
    logger: logging.Logger,
    apology: str = "utter_service_unavailable",
) -> Tuple[T | None, List[Dict[Text, Any]]]:
    """(what ``filing`` returned, []) — or, when it fails, (None, the hand-off's
    events): the customer hears ``apology`` and an operator gets everything
    collected, ``reason`` saying why. A database restart is no failure: it is
    raised, and Rasa runs the action again (raise_if_database_down).

    ``filing`` is called here, so the slots it converts (an amount, a date)
    fail inside the try like the database does; the caller's ``logger`` keeps
    the log line where it was."""
    try:
        return filing(), []
    except Exception as error:
        raise_if_database_down(error)
        logger.exception("filing %s failed", what)
        dispatcher.utter_message(response=apology)
        return None, await hand_off(dispatcher, tracker, reason)
