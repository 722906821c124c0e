"""What every submit action checks before it files anything."""

from __future__ import annotations

from typing import Any, Dict, List, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.consent import settle_consent
from actions.handoff import hand_off


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
