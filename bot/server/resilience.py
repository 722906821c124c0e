"""When the action server cannot be reached, the turn waits and then says so.

Rasa 3.6 logs a failed custom action and carries on without its events, so
the customer would get silence (rasa/core/processor.py ``_run_action``).
``guarded_run`` wraps ``RemoteAction.run`` (a patch: bot/server/patches.py): on a
connection or server failure (an action server that died mid-call, the
database restarting under it — actions answer 500 then, see actions/base.py)
the call is repeated for up to ``LIMITS.action_retry_seconds``; every action is
safe to repeat (filing returns the request already filed). Only then does it
answer ``utter_service_unavailable`` in the conversation's language; the slots
collected so far stay in the tracker (and reach an operator with a hand-off).
``ActionExecutionRejection`` (a form rejecting an answer) passes through.

Redis restarts are ridden out by Dana's lock store itself (bot/server/redis_locks.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, List

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.events import Event

from bot.config import LIMITS
from bot.server import metrics

logger = logging.getLogger(__name__)
UNAVAILABLE = "utter_service_unavailable"


def guarded_run(original: Callable) -> Callable:
    """``RemoteAction.run`` repeated on failure, then «try again» said."""

    async def run(self: RemoteAction, output_channel, nlg, tracker, domain) -> List[Event]:
        deadline = time.monotonic() + LIMITS.action_retry_seconds
        delay = 0.25
        while True:
            try:
                return await original(self, output_channel, nlg, tracker, domain)
            except ActionExecutionRejection:
                raise
            except Exception as error:  # connection refused, timeout, 5xx
                if time.monotonic() + delay <= deadline:
                    # Another action server (behind the balancer) or the database
                    # back from a restart will do it; actions are safe to repeat.
                    logger.warning("custom action %s failed (%s); trying again", self.name(), type(error).__name__)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2.0)
                    continue
                logger.error("custom action %s failed: %s", self.name(), type(error).__name__)
                metrics.action_failed(self.name())
                message: Any = await nlg.generate(UNAVAILABLE, tracker, output_channel.name())
                return [create_bot_utterance(message)] if message else []

    return run
