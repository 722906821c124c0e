"""Customers' messages in a handed-over conversation, passed on to the contact
centre's platform as they are stored (the hand-off webhook's
``customer_message`` event, bot/office/handoff_delivery.py).

Dana's tracker store calls ``relay`` after it saves a turn: only a paused
conversation (handed over, Dana silent) has anything to pass on, and that check
costs nothing; the hand-off is then looked up and the messages posted in the
background, so the customer's turn never waits for the platform.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import List, Set

from rasa.shared.core.events import ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.office import handoff as handoffs
from bot.office.handoff_delivery import relay_customer_message, webhook_url

logger = logging.getLogger(__name__)

_background: Set[asyncio.Task] = set()  # the loop keeps only weak references


def relay(tracker: DialogueStateTracker, since: int) -> None:
    """Pass on the customer's messages among the tracker's events from ``since``."""
    if not tracker.is_paused() or not webhook_url():
        return
    said: List[UserUttered] = []
    for event in itertools.islice(tracker.events, since, None):
        if isinstance(event, ConversationPaused):
            said = []  # the turn that handed over: its message is in the hand-off itself
        elif isinstance(event, UserUttered) and event.text:
            said.append(event)
    if said:
        task = asyncio.get_running_loop().create_task(_post(tracker.sender_id, said))
        _background.add(task)
        task.add_done_callback(_background.discard)


async def _post(conversation_id: str, said: List[UserUttered]) -> None:
    try:
        handoff = await asyncio.to_thread(handoffs.active, conversation_id)
        if handoff is None:
            return
        for event in said:
            await relay_customer_message(handoff["id"], conversation_id, event.text or "", event.timestamp)
    except Exception as error:  # the operator still sees it in the transcript
        logger.warning("customer message not relayed: %s", type(error).__name__)
