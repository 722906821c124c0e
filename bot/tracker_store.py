"""Rasa's SQL tracker store, made to ride out a database restart.

Plugged in through ``endpoints.yml: tracker_store: type: bot.tracker_store.DanaTrackerStore``
(same URL as the back office). Three differences from Rasa's ``SQLTrackerStore``:

* Connections are checked before use (``pool_pre_ping``), so the pooled
  connections a PostgreSQL restart left dead are replaced instead of failing
  the next customers' turns.
* Loading and saving a conversation are retried on connection errors for up
  to ``LIMITS.database_retry_seconds`` (a restart takes a few seconds), without
  blocking the event loop. Only then does the error reach the message guard,
  which tells the customer to write again; the slots they gave are still in
  the database.
* Rasa wraps every tracker store in ``FailSafeTrackerStore``, which on a
  database error answers from an empty in-memory tracker: a customer in the
  middle of a refund form would be greeted as a stranger and the turn saved
  nowhere. Importing this module makes Rasa's agent use this store unwrapped
  (the module is imported when Rasa reads endpoints.yml, before the agent).

Saving appends the events added since the tracker was loaded; Rasa counts the
stored rows with a query on every save to find them. A retried save counts
again, in case the failed attempt did commit.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Iterator, Optional, Text, TypeVar

import sqlalchemy as sa
from rasa.core import agent as rasa_agent
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import exc as sa_exc

from bot.config import LIMITS
from bot.db import database_unavailable

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Attribute set on a tracker: how many of its events are already stored.
_STORED = "_dana_stored_events"
async def retry_on_disconnect(operation: Callable[[int], Awaitable[T]], what: str,
                              seconds: Optional[float] = None) -> T:
    """Run ``operation(attempt)``; on a lost database connection wait and try
    again until ``seconds`` have passed, then re-raise."""
    budget = LIMITS.database_retry_seconds if seconds is None else seconds
    deadline = time.monotonic() + budget
    delay, attempt = 0.2, 0
    while True:
        try:
            return await operation(attempt)
        except sa_exc.SQLAlchemyError as error:
            if not database_unavailable(error) or time.monotonic() + delay > deadline:
                raise
            logger.warning("database unavailable while %s (attempt %s): %s; retrying",
                           what, attempt + 1, type(error).__name__)
        await asyncio.sleep(delay)
        delay, attempt = min(delay * 2, 2.0), attempt + 1


class DanaTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        async def attempt(_: int) -> Optional[DialogueStateTracker]:
            return await SQLTrackerStore.retrieve(self, sender_id)

        tracker = await retry_on_disconnect(attempt, "loading a conversation")
        if tracker is not None:
            setattr(tracker, _STORED, len(tracker.events))
        return tracker

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        async def attempt(_: int) -> Optional[DialogueStateTracker]:
            return await SQLTrackerStore.retrieve_full_tracker(self, conversation_id)

        return await retry_on_disconnect(attempt, "loading a conversation")

    async def save(self, tracker: DialogueStateTracker) -> None:
        async def attempt(number: int) -> None:
            if number:  # the failed attempt may have committed: count what is stored
                tracker.__dict__.pop(_STORED, None)
            await SQLTrackerStore.save(self, tracker)

        await retry_on_disconnect(attempt, "saving a conversation")
        setattr(tracker, _STORED, len(tracker.events))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = tracker.__dict__.get(_STORED)
        if stored is None:
            return super()._additional_events(session, tracker)
        events = list(tracker.events)
        return iter(events[stored:])


def _create_tracker_store(store: Optional[TrackerStore], domain: Any) -> TrackerStore:
    """Rasa's Agent._create_tracker_store, without the fail-safe wrapper for ours."""
    if isinstance(store, DanaTrackerStore):
        store.domain = domain
        return store
    return _rasa_create_tracker_store(store, domain)


_rasa_create_tracker_store = rasa_agent.Agent._create_tracker_store
rasa_agent.Agent._create_tracker_store = staticmethod(_create_tracker_store)  # type: ignore[assignment]
