"""Conversations survive a database hiccup and are stored exactly once."""
from __future__ import annotations

import uuid

import pytest
from rasa.core.agent import Agent
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from sqlalchemy import exc as sa_exc

from bot.server import tracker_store as dana_store
from bot.config import Limits
from bot.server.tracker_store import DanaTrackerStore


def _turn(text: str) -> list:
    return [UserUttered(text, {"name": "inform"}), ActionExecuted("utter_ask_login"),
            BotUttered("Логиніңізді жазыңыз"), ActionExecuted("action_listen")]


async def _conversation(store, sender: str, turns: int):
    tracker = await store.get_or_create_tracker(sender)
    for number in range(turns):
        tracker = await store.retrieve(sender)
        for event in _turn(f"сообщение {number}"):
            tracker.update(event)
        tracker.update(SlotSet("language", "ru"))
        await store.save(tracker)
    return await store.retrieve(sender)


async def test_each_event_is_stored_once_as_with_rasas_store(domain, database):
    sender = f"conv-{uuid.uuid4().hex}"
    ours = await _conversation(DanaTrackerStore(domain, host=database), sender, 3)
    reference = await SQLTrackerStore(domain, host=database).retrieve(sender)
    assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in reference.events]
    assert sum(isinstance(e, UserUttered) for e in ours.events) == 3
    assert ours.get_slot("language") == "ru"


def _new_session(tracker, text: str) -> None:
    """A session start, as Rasa adds it after the session expired, and a turn in it."""
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    for event in _turn(text):
        tracker.update(event)


async def test_a_new_session_is_appended_not_duplicated(domain, database):
    sender = f"conv-{uuid.uuid4().hex}"
    store = DanaTrackerStore(domain, host=database)
    tracker = await _conversation(store, sender, 1)
    _new_session(tracker, "снова я")
    await store.save(tracker)
    full = await store.retrieve_full_tracker(sender)
    texts = [e.text for e in full.events if isinstance(e, UserUttered)]
    assert texts == ["сообщение 0", "снова я"]
    # Loading gives the latest session only, exactly as Rasa's store does.
    latest = await store.retrieve(sender)
    reference = await SQLTrackerStore(domain, host=database).retrieve(sender)
    assert [e.as_dict() for e in latest.events] == [e.as_dict() for e in reference.events]
    assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["снова я"]


def _lost_connection() -> sa_exc.OperationalError:
    return sa_exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))


async def test_loading_waits_for_the_database_to_come_back(domain, database, monkeypatch):
    sender = f"conv-{uuid.uuid4().hex}"
    store = DanaTrackerStore(domain, host=database)
    await _conversation(store, sender, 1)
    failures = iter([_lost_connection(), _lost_connection()])
    original = DanaTrackerStore._load_rows

    def flaky(self, sender_id, *since):
        error = next(failures, None)
        if error:
            raise error
        return original(self, sender_id, *since)

    monkeypatch.setattr(DanaTrackerStore, "_load_rows", flaky)
    tracker = await store.retrieve(sender)
    assert tracker is not None and tracker.get_slot("language") == "ru"
    assert next(failures, None) is None  # both failures were waited out


async def test_a_save_that_may_have_committed_is_not_stored_twice(domain, database, monkeypatch):
    """The connection drops after the commit: the retry must not append again."""
    sender = f"conv-{uuid.uuid4().hex}"
    store = DanaTrackerStore(domain, host=database)
    tracker = await _conversation(store, sender, 1)
    for event in _turn("второе"):
        tracker.update(event)
    original = DanaTrackerStore._append_events
    calls = []

    def commits_then_fails(self, saved, stored):
        calls.append(1)
        original(self, saved, stored)
        if len(calls) == 1:
            raise _lost_connection()

    monkeypatch.setattr(DanaTrackerStore, "_append_events", commits_then_fails)
    await store.save(tracker)
    stored = await store.retrieve(sender)
    assert [e.text for e in stored.events if isinstance(e, UserUttered)] == ["сообщение 0", "второе"]


async def test_a_database_that_stays_down_is_an_error_not_a_blank_conversation(domain, database,
                                                                                monkeypatch):
    store = DanaTrackerStore(domain, host=database)

    def down(self, sender_id, *since):
        raise _lost_connection()

    monkeypatch.setattr(DanaTrackerStore, "_load_rows", down)
    monkeypatch.setattr(dana_store, "LIMITS", Limits(database_retry_seconds=0.5))
    with pytest.raises(sa_exc.OperationalError):
        await store.retrieve("someone")


def test_the_agent_uses_the_store_without_rasas_in_memory_fallback(domain, database):
    from bot.server import patches

    store = DanaTrackerStore(domain, host=database)
    with patches.installed() as on:
        if not on:
            pytest.skip("DANA_RASA_PATCHES=off: Rasa wraps every store in its fail-safe one")
        agent = Agent(domain=domain, tracker_store=store)
    assert agent.tracker_store is store


def test_endpoints_use_this_store():
    from pathlib import Path

    import yaml

    endpoints = yaml.safe_load((Path(__file__).resolve().parents[3] / "endpoints.yml").read_text())
    assert endpoints["tracker_store"]["type"] == "bot.server.tracker_store.DanaTrackerStore"


def test_on_sqlite_turns_are_not_flushed_alone_but_the_back_office_is(domain, database):
    """The tracker's connections commit without an fsync (WAL, synchronous=NORMAL);
    the back office's stay FULL, so a ticket's commit flushes the log."""
    if not database.startswith("sqlite"):
        pytest.skip("a SQLite setting")
    from sqlalchemy import text

    from bot.office.db import get_engine

    store = DanaTrackerStore(domain, dialect="sqlite", db=database.split("///", 1)[1])
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    with get_engine(database).connect() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


# Recent conversations kept in memory ---------------------------------------------------
def _events(tracker) -> list:
    return [e.as_dict() for e in tracker.events] if tracker else []


async def _rasas(domain, database, sender):
    return await SQLTrackerStore(domain, host=database).retrieve(sender)


async def _turn_on(store, sender: str, text: str):
    tracker = await store.retrieve(sender)
    for event in _turn(text):
        tracker.update(event)
    await store.save(tracker)


async def test_a_kept_conversation_loads_only_the_rows_since_and_equals_a_full_load(domain, database, monkeypatch):
    sender = f"conv-{uuid.uuid4().hex}"
    store = DanaTrackerStore(domain, host=database)
    assert store.recent is not None
    loads = []
    original = DanaTrackerStore._load_rows

    def spy(self, sender_id, *since):
        loads.append(since)
        return original(self, sender_id, *since)

    monkeypatch.setattr(DanaTrackerStore, "_load_rows", spy)
    ours = await _conversation(store, sender, 4)
    assert _events(ours) == _events(await _rasas(domain, database, sender))
    assert loads[0] == () and loads[1] == ()  # the first load after the new session's save is a full one
    assert all(since and since[0] is not None for since in loads[2:]), loads  # then only rows since the last


async def test_another_servers_turns_are_replayed_onto_the_kept_copy(domain, database):
    sender = f"conv-{uuid.uuid4().hex}"
    one, two = DanaTrackerStore(domain, host=database), DanaTrackerStore(domain, host=database)
    await _conversation(one, sender, 2)
    await _turn_on(two, sender, "на другом сервере")
    mine = await one.retrieve(sender)
    assert _events(mine) == _events(await _rasas(domain, database, sender))
    assert [e.text for e in mine.events if isinstance(e, UserUttered)][-1] == "на другом сервере"
    for event in _turn("снова здесь"):
        mine.update(event)
    await one.save(mine)
    assert _events(await two.retrieve(sender)) == _events(await _rasas(domain, database, sender))
    assert _events(await one.retrieve(sender)) == _events(await _rasas(domain, database, sender))


async def test_a_conversation_erased_meanwhile_is_not_served_from_memory(domain, database):
    from sqlalchemy import text

    from bot.office.db import get_engine

    sender = f"conv-{uuid.uuid4().hex}"
    store = DanaTrackerStore(domain, host=database)
    await _conversation(store, sender, 2)
    with get_engine(database).begin() as connection:
        connection.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
    assert await store.retrieve(sender) is None


async def test_a_new_session_started_elsewhere_is_loaded_afresh(domain, database):
    sender = f"conv-{uuid.uuid4().hex}"
    one, two = DanaTrackerStore(domain, host=database), DanaTrackerStore(domain, host=database)
    await _conversation(one, sender, 2)
    tracker = await two.retrieve(sender)
    _new_session(tracker, "новая сессия")
    await two.save(tracker)
    latest = await one.retrieve(sender)
    assert _events(latest) == _events(await _rasas(domain, database, sender))
    assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["новая сессия"]


def test_recent_conversations_are_bounded_and_forget_idle_ones(monkeypatch):
    from bot.server.tracker_store import Kept, RecentConversations

    now = [100.0]
    monkeypatch.setattr(dana_store.time, "monotonic", lambda: now[0])
    recent = RecentConversations(size=2, idle_seconds=60)
    for sender in ("a", "b", "c"):
        recent.put(sender, Kept(tracker=None, last_row=1, session_start=None, used=0.0))  # type: ignore[arg-type]
    assert recent.get("a") is None and recent.get("b") is not None and len(recent) == 2
    now[0] += 61
    assert recent.get("c") is None and len(recent) == 0


async def test_the_cache_can_be_switched_off(domain, database, monkeypatch):
    monkeypatch.setenv("DANA_TRACKER_CACHE", "off")
    store = DanaTrackerStore(domain, host=database)
    assert store.recent is None
    sender = f"conv-{uuid.uuid4().hex}"
    assert _events(await _conversation(store, sender, 2)) == _events(await _rasas(domain, database, sender))
