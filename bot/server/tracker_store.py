"""Rasa's SQL tracker store, made to ride out a database restart.

Plugged in through ``endpoints.yml: tracker_store: type: bot.server.tracker_store.DanaTrackerStore``
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
  nowhere. A patch (``unwrapped``, bot/server/patches.py) makes Rasa's agent
  use this store as it is.

Loading and saving run as two prepared SQLAlchemy Core statements on pooled
connections, in place of Rasa's ORM session, per-event INSERTs and row count:
they were a third of the server's CPU per message (README «Load benchmark»),
on SQLite also one new connection per query (SQLAlchemy 1.4 pools no file
connections), and a turn's commit is not flushed to disk by itself
(``_no_fsync_per_turn``). Same table, same rows, same "events of the latest
session" as Rasa's store (tests compare the two). Saving appends the events added since
the tracker was loaded; a tracker this store did not load (a new one), or a
retried save, counts the stored rows first, as Rasa does.

**Recent conversations stay in memory** (``RecentConversations``): a customer
writes again within seconds, and reading and replaying the whole session for
each message made the 40th message of a conversation cost 2.6× the 4th
(docs/benchmarks/storm.md). After a save the store keeps a copy of the
conversation as stored and the id of its last row; the next ``retrieve`` asks
the database only for the rows after that one (none, unless another server of
the cluster answered in between: those are replayed onto the copy). Exactly
what a full load would give, as rows are only appended or deleted (Rasa
appends, the privacy purge deletes; nothing edits a row): the kept copy is used
only when the database still holds its last row (a conversation erased
meanwhile is loaded afresh), no new session started, and the rows since are the latest session's (same timestamp
rule as Rasa's query); a save the store is unsure of (a retry, a tracker it did
not load, a new session) drops the copy. The copy is frozen into a few objects
(``FrozenTracker``, bot/server/speedups.py: the garbage collector walks every
object a server keeps). At most ``DANA_TRACKER_CACHE`` conversations (5,000;
«off»: none), each dropped after a minute unused (customers write every 10–30 s).
Per server and per process: each Sanic worker and each server of the cluster
keeps its own, and the database stays the truth. Deployment settings, not
product rules: in bot/server/speedups.py rather than bot/config.py, which is
part of the model's training fingerprint.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text, Tuple, TypeVar, Union

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import QueuePool

from bot.config import LIMITS
from bot.office.db import database_unavailable
from bot.server import handoff_relay, metrics
from bot.server.speedups import (
    KEPT_IDLE_SECONDS,
    FrozenTracker,
    domain_slots,
    encode_json,
    freeze_tracker,
    kept_conversations,
    thaw_tracker,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Attributes set on a tracker: how many of its events are already stored, and
# the id of the last row its save wrote.
_STORED = "_dana_stored_events"
_LAST_ROW = "_dana_last_row"
RECENT_USER_MESSAGES = 5


async def retry_on_disconnect(
    operation: Callable[[int], Awaitable[T]], what: str, seconds: Optional[float] = None
) -> T:
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
            logger.warning(
                "database unavailable while %s (attempt %s): %s; retrying", what, attempt + 1, type(error).__name__
            )
        await asyncio.sleep(delay)
        delay, attempt = min(delay * 2, 2.0), attempt + 1


def _engine(url: Any) -> sa.engine.Engine:
    if url.get_backend_name() == "sqlite":
        # A local file cannot restart under us: no ping. Pooled connections
        # (the server uses them from its one event-loop thread).
        engine = sa.create_engine(
            url,
            poolclass=QueuePool,
            pool_size=5,
            max_overflow=10,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        sa.event.listen(engine, "connect", _no_fsync_per_turn)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))


def _no_fsync_per_turn(dbapi_connection: Any, _record: Any) -> None:
    """WAL with synchronous=NORMAL on this store's connections: a turn's commit
    is not flushed to disk on its own (an fsync blocked the event loop on every
    message, 4 % of its CPU). A crash of the server loses nothing; a power cut
    may lose the last turns' events, unless a back-office commit (bot/office/db.py:
    FULL, which flushes the whole log) came after them — tickets, refunds and
    consents stay durable."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _event_row(sender_id: Text, event: Event) -> Dict[Text, Any]:
    """The row Rasa's SQLTrackerStore.save writes for an event. The JSON is
    ujson's, as for action calls (json.dumps was 2 % of a message's CPU); Rasa
    reads it back with json.loads, as it reads rows written by json.dumps."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": encode_json(data),
    }


@dataclass
class Kept:
    """A conversation as stored: a private copy (frozen, or a copy where it cannot
    be), its last row's id, the start of the session it was loaded from (None: no
    session start stored), last use."""

    tracker: Union[FrozenTracker, DialogueStateTracker]
    last_row: int
    session_start: Optional[float]
    used: float


class RecentConversations:
    """The recently used conversations of this process, least recently used first."""

    def __init__(self, size: int, idle_seconds: float) -> None:
        self.size, self.idle_seconds = size, idle_seconds
        self._kept: "OrderedDict[Text, Kept]" = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, sender_id: Text) -> Optional[Kept]:
        self._forget_idle()
        kept = self._kept.get(sender_id)
        if kept is not None:
            kept.used = time.monotonic()
            self._kept.move_to_end(sender_id)
        return kept

    def put(self, sender_id: Text, kept: Kept) -> None:
        kept.used = time.monotonic()
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        self._forget_idle()

    def drop(self, sender_id: Text) -> None:
        self._kept.pop(sender_id, None)

    def _forget_idle(self) -> None:
        oldest = time.monotonic() - self.idle_seconds
        while self._kept:
            sender_id, kept = next(iter(self._kept.items()))
            if kept.used >= oldest:
                break
            del self._kept[sender_id]


def cache_from_environment() -> Optional[RecentConversations]:
    """DANA_TRACKER_CACHE=<conversations> (default 5,000), «off» or 0: none."""
    size = kept_conversations()
    return RecentConversations(size, KEPT_IDLE_SECONDS) if size > 0 else None


def _kept_copy(tracker: DialogueStateTracker) -> Union[FrozenTracker, DialogueStateTracker]:
    return freeze_tracker(tracker) or tracker.copy()


def _session_start(events: Sequence[Dict[Text, Any]]) -> Optional[float]:
    """The latest session start among stored events (what Rasa's query starts from)."""
    starts = [e.get("timestamp") for e in events if e.get("event") == SessionStarted.type_name]
    return max((t for t in starts if t is not None), default=None)


class DanaTrackerStore(SQLTrackerStore):
    engine: sa.engine.Engine  # set in SQLTrackerStore.__init__, which mypy cannot type

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = _engine(url)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        events = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        # Rasa's _event_query: the events since the latest session start (or all).
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        latest_session = (events.c.sender_id == sender) & sa.or_(
            events.c.timestamp >= session_start, session_start.is_(None)
        )
        self._load_query = sa.select(events.c.id, events.c.data).where(latest_session).order_by(events.c.id)
        self._count_query = sa.select(sa.func.count(events.c.id)).where(latest_session)
        self._insert = events.insert()
        # A kept conversation: its last row and those after it (of its session).
        since = (events.c.sender_id == sender) & (events.c.id >= sa.bindparam("last_row"))
        self._since_query = sa.select(events.c.id, events.c.type_name, events.c.data).where(since).order_by(events.c.id)
        self._since_in_session_query = (
            sa.select(events.c.id, events.c.type_name, events.c.data)
            .where(since & (events.c.timestamp >= sa.bindparam("session_start")))
            .order_by(events.c.id)
        )
        self._last_row_query = sa.select(sa.func.max(events.c.id)).where(events.c.sender_id == sender)
        self.recent = cache_from_environment()

        # A message sent again (replies_to) is one of the conversation's last few.
        self._recent_user_query = (
            sa.select(events.c.id, events.c.data)
            .where(events.c.sender_id == sender, events.c.type_name == "user")
            .order_by(events.c.id.desc())
            .limit(RECENT_USER_MESSAGES)
        )
        self._after_query = (
            sa.select(events.c.data)
            .where(events.c.sender_id == sender, events.c.id > sa.bindparam("after"))
            .order_by(events.c.id)
        )

    # The database work, one transaction each (patched by the retry tests).
    def _load_rows(
        self, sender_id: Text, last_row: Optional[int] = None, session_start: Optional[float] = None
    ) -> List[Tuple[int, Text, Dict[Text, Any]]]:
        """(id, event type, event) of the latest session's rows, or of ``last_row``
        and the rows after it (those of the session starting at ``session_start``)."""
        with self.engine.connect() as connection:
            if last_row is None:
                rows = connection.execute(self._load_query, {"sender_id": sender_id}).all()
                return [(row.id, "", json.loads(row.data)) for row in rows]
            query, values = self._since_query, {"sender_id": sender_id, "last_row": last_row}
            if session_start is not None:
                query, values = self._since_in_session_query, {**values, "session_start": session_start}
            rows = connection.execute(query, values).all()
        return [(row.id, row.type_name, json.loads(row.data) if row.id != last_row else {}) for row in rows]

    def _append_events(self, tracker: DialogueStateTracker, stored: Optional[int]) -> List[Event]:
        """The events appended (those beyond the ``stored`` ones). The id of the
        conversation's last row goes on the tracker (for the kept copy)."""
        with self.engine.begin() as connection:
            if stored is None:
                stored = connection.execute(self._count_query, {"sender_id": tracker.sender_id}).scalar_one()
            new = list(tracker.events)[stored:]
            if new:
                connection.execute(self._insert, [_event_row(tracker.sender_id, e) for e in new])
                if self.recent is not None:
                    last = connection.execute(self._last_row_query, {"sender_id": tracker.sender_id}).scalar()
                    tracker.__dict__[_LAST_ROW] = last
        return new

    def _stored_replies(self, sender_id: Text, message_id: Text) -> Optional[List[Dict[Text, Any]]]:
        with self.engine.connect() as connection:
            recent = connection.execute(self._recent_user_query, {"sender_id": sender_id}).all()
            found = next((row.id for row in recent if json.loads(row.data).get("message_id") == message_id), None)
            if found is None:
                return None
            after = connection.execute(self._after_query, {"sender_id": sender_id, "after": found}).scalars().all()
        return _answer([json.loads(data) for data in after])

    async def replies_to(self, sender_id: Text, message_id: Text) -> Optional[List[Dict[Text, Any]]]:
        """The bot events that answered the user message ``message_id`` as stored,
        or None if no such message is stored (it was never processed: a turn's
        events are saved together at its end)."""

        async def attempt(_: int) -> Optional[List[Dict[Text, Any]]]:
            return self._stored_replies(sender_id, message_id)

        return await retry_on_disconnect(attempt, "looking up a message")

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        kept = self.recent.get(sender_id) if self.recent is not None else None
        if kept is not None:
            since = kept

            async def rows_since(_: int) -> List[Tuple[int, Text, Dict[Text, Any]]]:
                return self._load_rows(sender_id, since.last_row, since.session_start)

            tracker = self._continued(kept, await retry_on_disconnect(rows_since, "loading a conversation"))
            if tracker is not None:
                return tracker
            self.recent.drop(sender_id)  # type: ignore[union-attr]

        async def rows(_: int) -> List[Tuple[int, Text, Dict[Text, Any]]]:
            return self._load_rows(sender_id)

        found = await retry_on_disconnect(rows, "loading a conversation")
        events = [event for _, _, event in found]
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        setattr(tracker, _STORED, len(tracker.events))
        if self.recent is not None:
            self.recent.put(sender_id, Kept(_kept_copy(tracker), found[-1][0], _session_start(events), 0.0))
        return tracker

    def _continued(self, kept: Kept, rows: List[Tuple[int, Text, Dict[Text, Any]]]) -> Optional[DialogueStateTracker]:
        """The kept conversation with the rows stored since (``rows`` starts with
        its last row), or None when a full load is needed: that row is gone (the
        conversation was erased), or a new session started."""
        if not rows or rows[0][0] != kept.last_row:
            return None
        new = rows[1:]
        if any(kind == SessionStarted.type_name for _, kind, _ in new):
            return None
        kept_tracker = kept.tracker
        if isinstance(kept_tracker, FrozenTracker):
            thawed = thaw_tracker(kept_tracker, domain_slots(self.domain)) if self.domain else None
            if thawed is None:
                return None
            tracker = thawed
        else:
            tracker = kept_tracker.copy()
        for event in deserialise_events([event for _, _, event in new]):
            tracker.update(event)
        if new:  # another server answered meanwhile: keep what it stored too
            kept.tracker, kept.last_row = _kept_copy(tracker), new[-1][0]
        setattr(tracker, _STORED, len(tracker.events))
        return tracker

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        async def attempt(_: int) -> Optional[DialogueStateTracker]:
            return await SQLTrackerStore.retrieve_full_tracker(self, conversation_id)

        return await retry_on_disconnect(attempt, "loading a conversation")

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        stored = tracker.__dict__.get(_STORED)
        attempts: List[int] = []

        async def attempt(number: int) -> Optional[List[Event]]:
            # A failed attempt may have committed: count what is stored.
            attempts.append(number)
            return self._append_events(tracker, None if number else stored)

        tracker.__dict__.pop(_LAST_ROW, None)
        appended = await retry_on_disconnect(attempt, "saving a conversation")
        setattr(tracker, _STORED, len(tracker.events))
        self._keep_saved(tracker, stored is not None and attempts == [0], appended or [])
        metrics.turn_saved(tracker, stored, appended, self.domain)  # messages, intents, fallbacks, hand-offs
        # A handed-over conversation's new messages go on to the operator's platform.
        handoff_relay.relay(tracker, stored or 0)

    def _keep_saved(self, tracker: DialogueStateTracker, sure: bool, appended: Sequence[Event]) -> None:
        """Keep a copy of the conversation as saved, when the store is sure the
        database holds exactly it: the tracker was loaded here and saved in one go,
        no new session began, the copy kept was loaded or saved here (its last row
        is known). Otherwise the next load is a full one."""
        if self.recent is None:
            return
        kept = self.recent.get(tracker.sender_id)
        last_row = tracker.__dict__.get(_LAST_ROW)
        if (
            kept is None
            or not sure
            or any(isinstance(event, SessionStarted) for event in appended)
            or (appended and last_row is None)
        ):
            self.recent.drop(tracker.sender_id)
            return
        kept.tracker = _kept_copy(tracker)
        if last_row is not None:
            kept.last_row = last_row


def unwrapped(original: Callable) -> Any:
    """Rasa's ``Agent._create_tracker_store`` without the fail-safe wrapper for
    Dana's store (a patch: bot/server/patches.py)."""

    def create_tracker_store(store: Optional[TrackerStore], domain: Any) -> TrackerStore:
        if isinstance(store, DanaTrackerStore):
            store.domain = domain
            return store
        return original(store, domain)

    return staticmethod(create_tracker_store)


def _answer(events_after: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """The bot events before the next user message."""
    replies = []
    for event in events_after:
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            replies.append(event)
    return replies


async def stored_replies(store: TrackerStore, sender_id: Text, message_id: Text) -> Optional[List[Dict[Text, Any]]]:
    """``replies_to`` of whatever store the agent has (Rasa wraps Dana's in its
    fail-safe store when the patches are off); another store is read whole."""
    inner = getattr(store, "_tracker_store", store)
    if isinstance(inner, DanaTrackerStore):
        return await inner.replies_to(sender_id, message_id)
    tracker = await store.retrieve_full_tracker(sender_id)
    events = [event.as_dict() for event in tracker.events] if tracker else []
    for index, event in enumerate(events):
        if event.get("event") == "user" and event.get("message_id") == message_id:
            return _answer(events[index + 1 :])
    return None
