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


async def test_a_new_session_is_appended_not_duplicated(domain, database):
    sender = f"conv-{uuid.uuid4().hex}"
    store = DanaTrackerStore(domain, host=database)
    tracker = await _conversation(store, sender, 1)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    for event in _turn("снова я"):
        tracker.update(event)
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
    original = DanaTrackerStore._load_events

    def flaky(self, sender_id):
        error = next(failures, None)
        if error:
            raise error
        return original(self, sender_id)

    monkeypatch.setattr(DanaTrackerStore, "_load_events", flaky)
    tracker = await store.retrieve(sender)
    assert tracker is not None and tracker.get_slot("language") == "ru"


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

    def down(self, sender_id):
        raise _lost_connection()

    monkeypatch.setattr(DanaTrackerStore, "_load_events", down)
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
