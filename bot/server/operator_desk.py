"""The operators' side of a live hand-off, inside the Rasa server.

When Dana hands a conversation over (actions/handoff.py) she pauses it with
Rasa's ``ConversationPaused`` event: it is stored with the conversation, so every
server of the cluster sees it, and Rasa then records the customer's messages
without answering them. From here an operator (the operator API,
channels/operators.py) claims the hand-off, writes to the customer and closes
it; Dana says a short line when someone joins and when it is closed, then asks
for a rating (``action_ask_csat``). A hand-off nobody takes within
``LIMITS.handoff_wait_seconds`` gets one «no operator yet» message, and Dana takes
the conversation back; a later claim pauses it again.

Every message reaches the customer on the channel they last wrote from
(channels/base.py ``output_for``) and is stored in the conversation — an
operator's with their id in the event's metadata — under the conversation's
lock, so it never interleaves with a turn.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import LIMITS
from bot.office import handoff as handoffs
from bot.office import notices, schedule

logger = logging.getLogger(__name__)

OPERATOR_KEY = "operator"  # BotUttered.metadata: who wrote it
META_PLATFORMS = ("messenger", "instagram", "whatsapp")
SAID_ON_JOIN, SAID_ON_CLOSE = "utter_operator_joined", "utter_handoff_closed"
NO_OPERATOR, NO_OPERATOR_AFTER_HOURS = "utter_handoff_no_operator", "utter_handoff_no_operator_after_hours"
ASK_RATING = "action_ask_csat"


class Undeliverable(Exception):
    """The customer cannot receive a message now; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # channel_cannot_receive | outside_24h_window


def operator_of(event: BotUttered) -> Optional[Text]:
    return (event.metadata or {}).get(OPERATOR_KEY)


def transcript(tracker: Optional[DialogueStateTracker]) -> List[Dict[Text, Any]]:
    """The conversation's latest messages: who said what, when."""
    said: List[Dict[Text, Any]] = []
    for event in tracker.events if tracker else []:
        if isinstance(event, UserUttered) and event.text:
            said.append({"from": "customer", "text": event.text, "timestamp": event.timestamp})
        elif isinstance(event, BotUttered) and (event.text or event.data):
            operator = operator_of(event)
            entry: Dict[Text, Any] = {"from": "operator" if operator else "dana", "timestamp": event.timestamp}
            entry.update(text=event.text or "", **({"operator": operator} if operator else {}))
            buttons = (event.data or {}).get("buttons")
            if buttons:
                entry["buttons"] = [button.get("title") for button in buttons]
            said.append(entry)
    return said[-LIMITS.transcript_messages :]


class Desk:
    """What an operator can do to a conversation, given the Rasa server's app."""

    def __init__(self, app: Any, output_for: Any) -> None:
        self.app = app
        self.output_for = output_for  # channels.base.output_for (channels import this module)

    @property
    def agent(self) -> Any:
        return self.app.ctx.agent  # a model reload swaps it

    async def transcript(self, conversation_id: Text) -> List[Dict[Text, Any]]:
        return transcript(await self.agent.tracker_store.retrieve(conversation_id))

    @asynccontextmanager
    async def _conversation(self, conversation_id: Text) -> AsyncIterator[DialogueStateTracker]:
        async with self.agent.lock_store.lock(conversation_id):
            yield await self.agent.processor.get_tracker(conversation_id)

    def _output(self, tracker: DialogueStateTracker) -> Optional[OutputChannel]:
        return self.output_for(tracker.get_latest_input_channel())

    def _deliverable(self, tracker: DialogueStateTracker) -> OutputChannel:
        """The output that reaches the customer now, or Undeliverable saying why."""
        output = self._output(tracker)
        if output is None:
            raise Undeliverable("channel_cannot_receive")
        if tracker.get_latest_input_channel() in META_PLATFORMS and not _within_meta_window(tracker):
            raise Undeliverable("outside_24h_window")
        return output

    async def send(self, conversation_id: Text, text: Text, operator: Text) -> None:
        """The operator's message to the customer, stored with the operator's id."""
        async with self._conversation(conversation_id) as tracker:
            output = self._deliverable(tracker)
            await output.send_response(conversation_id, {"text": text})
            tracker.update(BotUttered(text, metadata={OPERATOR_KEY: operator}))
            await self.agent.processor.save_tracker(tracker)

    async def join(self, conversation_id: Text) -> None:
        """An operator took it: Dana stays paused (again, if the wait had ended) and says so."""
        async with self._conversation(conversation_id) as tracker:
            if not tracker.is_paused():
                tracker.update(ConversationPaused())
                await self.agent.processor.save_tracker(tracker)
            await self._run(conversation_id, tracker, SAID_ON_JOIN)

    async def close(self, conversation_id: Text) -> None:
        """The operator is done: Dana takes the conversation back and asks for a rating."""
        async with self._conversation(conversation_id) as tracker:
            await self._resume(tracker)
            await self._run(conversation_id, tracker, SAID_ON_CLOSE)
            if ASK_RATING in self.agent.domain.action_names_or_texts:
                await self._run(conversation_id, tracker, ASK_RATING)

    async def no_operator(self, conversation_id: Text) -> None:
        """Nobody took it: Dana says so once and answers the customer again."""
        async with self._conversation(conversation_id) as tracker:
            await self._resume(tracker)
            on_duty = schedule.operators_on_duty(schedule.now_astana())
            await self._run(conversation_id, tracker, NO_OPERATOR if on_duty else NO_OPERATOR_AFTER_HOURS)

    async def _resume(self, tracker: DialogueStateTracker) -> None:
        if tracker.is_paused():
            tracker.update(ConversationResumed())
            await self.agent.processor.save_tracker(tracker)

    async def _run(self, conversation_id: Text, tracker: DialogueStateTracker, action: Text) -> None:
        output = self._output(tracker) or CollectingOutputChannel()  # a call: stored, not said
        prediction = PolicyPrediction.for_action_name(self.agent.domain, action, "operator_desk", 1.0)
        done = await self.agent.processor.execute_action(conversation_id, action, output, self.agent.nlg, prediction)
        # Rasa's execute_action ends without listening; a turn does, and the
        # policies expect it: without it the customer's next message would be
        # read as coming in the middle of a turn (and answered by the fallback).
        if done is not None and done.latest_action_name != ACTION_LISTEN_NAME:
            done.update(ActionExecuted(ACTION_LISTEN_NAME))
            await self.agent.processor.save_tracker(done)

    async def notify(self, notification: Dict[Text, Any]) -> str:
        """A change the customer hears about (bot/office/notices.py); the outcome."""
        conversation_id = notification["conversation_id"]
        async with self._conversation(conversation_id) as tracker:
            try:
                self._deliverable(tracker)
            except Undeliverable as undeliverable:
                return f"undeliverable: {undeliverable.reason}"
            # The request's number for the response's placeholder ({ticket_id} …).
            for slot, value in notification["slots"].items():
                tracker.update(SlotSet(slot, str(value)))
            await self.agent.processor.save_tracker(tracker)
            await self._run(conversation_id, tracker, notification["response"])
            return "sent"

    async def watch(self) -> None:
        """Tell customers nobody took their hand-off, and what changed; runs on
        every server, and the database lets exactly one of them tell each."""
        while True:
            await asyncio.sleep(LIMITS.handoff_check_seconds)
            try:
                for left in await asyncio.to_thread(handoffs.left_waiting, LIMITS.handoff_wait_seconds):
                    if await asyncio.to_thread(handoffs.mark_no_operator_told, left["id"]):
                        await self.no_operator(left["conversation_id"])
                for due in await asyncio.to_thread(notices.due, schedule.now_astana()):
                    if await asyncio.to_thread(notices.take, due["id"]):
                        outcome = await self.notify(due)
                        await asyncio.to_thread(notices.record, due["id"], outcome)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database restarting: next round
                logger.warning("desk watch: %s", type(error).__name__)


def _within_meta_window(tracker: DialogueStateTracker) -> bool:
    last = next((e for e in reversed(tracker.events) if isinstance(e, UserUttered)), None)
    return last is not None and time.time() - last.timestamp < LIMITS.meta_reply_window_hours * 3600
