"""A receipt arrived as a photo or file (intent ``send_receipt``).

The channel has already checked and stored the file (bot/office/receipts.py) and
says what happened in the message metadata: ``{"receipt": {"status":
"stored", "request_kind": …, "request_id": …}}`` or ``{"receipt": {"status":
"rejected", "reason": "too_big" | "bad_type" | "empty"}}``. Dana tells the
customer in their language. Without metadata the customer only typed «I sent
the receipt»: Dana asks for the file where files can be sent, and explains
where to bring it elsewhere.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import channel_of
from bot.config import ATTACHMENT_CHANNELS


def tell_receipts(dispatcher: CollectingDispatcher, tracker: Tracker, request_id: int, attached: int) -> bool:
    """After a request is filed: the receipts already sent are joined to it, or a
    receipt is asked for where files can be sent. False where they cannot."""
    if attached:
        dispatcher.utter_message(response="utter_receipt_attached", request_id=str(request_id))
    elif channel_of(tracker) in ATTACHMENT_CHANNELS:
        dispatcher.utter_message(response="utter_receipt_upload_prompt")
    else:
        return False
    return True


def latest_metadata(tracker: Tracker) -> Dict[str, Any]:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("metadata") or {}
    return {}


def acknowledge_receipt(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Tell the customer what became of the file they sent (also mid-form:
    DanaFormValidator calls this and asks its question again)."""
    receipt = latest_metadata(tracker).get("receipt")
    if not isinstance(receipt, dict):
        attachable = channel_of(tracker) in ATTACHMENT_CHANNELS
        dispatcher.utter_message(response="utter_receipt_no_file" if attachable else "utter_receipt_required")
    elif receipt.get("status") == "stored" and receipt.get("request_id"):
        dispatcher.utter_message(response="utter_receipt_attached", request_id=str(receipt["request_id"]))
    elif receipt.get("status") == "stored":
        dispatcher.utter_message(response="utter_receipt_kept")
    elif receipt.get("reason") == "too_big":
        dispatcher.utter_message(response="utter_receipt_too_big")
    else:
        dispatcher.utter_message(response="utter_receipt_bad_type")


class ActionReceiptReceived(Action):
    def name(self) -> Text:
        return "action_receipt_received"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        acknowledge_receipt(dispatcher, tracker)
        return []
