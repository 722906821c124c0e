"""When the action server cannot be reached, the turn waits and then says so.

Rasa 3.6 logs a failed custom action and carries on without its events, so
the customer would get silence (rasa/core/processor.py ``_run_action``).
This wraps ``RemoteAction.run`` once per process: on a connection or server
failure (an action server that died mid-call, the database restarting under
it — actions answer 500 then, see actions/base.py) the call is repeated for
up to ``LIMITS.action_retry_seconds``; every action is safe to repeat (filing
returns the request already filed). Only then does it answer
``utter_service_unavailable`` in the conversation's language; the slots
collected so far stay in the tracker (and reach an operator with a hand-off).
``ActionExecutionRejection`` (a form rejecting an answer) passes through.

Rasa's Redis lock store gives up on the first connection error, failing every
turn while Redis restarts (a second or two); its calls are retried here for
up to ``LIMITS.lock_store_retry_seconds``. They are synchronous in Rasa, so
the wait blocks this server, which could do nothing useful without its locks.
Changes of a lock are made atomic across servers (bot/server/redis_locks.py).

Installed by DanaNaturalLanguageGenerator, which Rasa loads at start-up.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any, Callable, List

from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.lock_store import RedisLockStore
from rasa.shared.core.events import Event

from bot.server import redis_locks
from bot.config import LIMITS

logger = logging.getLogger(__name__)
UNAVAILABLE = "utter_service_unavailable"


def install() -> None:
    _retry_lock_store_calls()
    if getattr(RemoteAction.run, "_dana_guard", False):
        return
    original = RemoteAction.run

    async def guarded_run(self: RemoteAction, output_channel, nlg, tracker, domain) -> List[Event]:
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
                    logger.warning("custom action %s failed (%s); trying again", self.name(),
                                   type(error).__name__)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2.0)
                    continue
                logger.error("custom action %s failed: %s", self.name(), type(error).__name__)
                message: Any = await nlg.generate(UNAVAILABLE, tracker, output_channel.name())
                return [create_bot_utterance(message)] if message else []

    guarded_run._dana_guard = True  # type: ignore[attr-defined]
    RemoteAction.run = guarded_run  # type: ignore[method-assign]
    rasa_action.RemoteAction = RemoteAction


def _with_redis_retries(method: Callable) -> Callable:
    from redis.exceptions import ConnectionError, TimeoutError

    @functools.wraps(method)
    def retrying(self: RedisLockStore, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + LIMITS.lock_store_retry_seconds
        delay = 0.1
        while True:
            try:
                return method(self, *args, **kwargs)
            except (ConnectionError, TimeoutError) as error:
                if time.monotonic() + delay > deadline:
                    raise
                logger.warning("lock store unavailable (%s); retrying", type(error).__name__)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    retrying._dana_guard = True  # type: ignore[attr-defined]
    return retrying


def _retry_lock_store_calls() -> None:
    for name in ("get_lock", "save_lock", "delete_lock"):
        method = getattr(RedisLockStore, name)
        if not getattr(method, "_dana_guard", False):
            setattr(RedisLockStore, name, _with_redis_retries(method))
    redis_locks.install(retrying=_with_redis_retries)
