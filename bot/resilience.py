"""When the action server cannot be reached, the customer is told so.

Rasa 3.6 logs a failed custom action and carries on without its events, so
the customer would get silence (rasa/core/processor.py ``_run_action``).
This wraps ``RemoteAction.run`` once per process: on a connection or server
failure it answers ``utter_service_unavailable`` in the conversation's
language instead. Slots collected so far stay in the tracker, so nothing the
customer gave is lost and the form asks again on the next message.
``ActionExecutionRejection`` (a form rejecting an answer) passes through.
Installed by DanaNaturalLanguageGenerator, which Rasa loads at start-up.
"""
from __future__ import annotations

import logging
from typing import Any, List

from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.events import Event

logger = logging.getLogger(__name__)
UNAVAILABLE = "utter_service_unavailable"


def install() -> None:
    if getattr(RemoteAction.run, "_dana_guard", False):
        return
    original = RemoteAction.run

    async def guarded_run(self: RemoteAction, output_channel, nlg, tracker, domain) -> List[Event]:
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except Exception as error:  # connection refused, timeout, 5xx
            logger.error("custom action %s failed: %s", self.name(), type(error).__name__)
            message: Any = await nlg.generate(UNAVAILABLE, tracker, output_channel.name())
            return [create_bot_utterance(message)] if message else []

    guarded_run._dana_guard = True  # type: ignore[attr-defined]
    RemoteAction.run = guarded_run  # type: ignore[method-assign]
    rasa_action.RemoteAction = RemoteAction
