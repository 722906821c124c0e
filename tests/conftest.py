"""Shared fixtures: the real domain (loaded once), trackers built in code, a throw-away database."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parent.parent
# The Rasa and action servers the tests start see 12:00 Astana time, as the test
# process does (office_hours below): a run at night checks the day-time answers
# instead of failing on the after-hours ones (bot/office/schedule.py).
os.environ.setdefault("DANA_ASTANA_TIME", "12:00")


@pytest.fixture(scope="session")
def domain():
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "domain"))


@pytest.fixture(scope="session")
def domain_dict(domain) -> dict:
    return domain.as_dict()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def make_tracker(*, slots: dict | None = None, intent: str | None = None, entities: Iterable[dict] = (),
                 text: str = "", lang: str = "ru", active_loop: str | None = None,
                 events: Iterable[dict] = (), sender_id: str = "test-user") -> Tracker:
    """A tracker as the action server receives it."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": list(entities)}
    all_events: list[dict[str, Any]] = list(events)
    if intent:
        all_events.append({"event": "user", "text": text, "parse_data": latest})
    return Tracker.from_dict({
        "sender_id": sender_id,
        "slots": {"language": lang, **(slots or {})},
        "latest_message": latest,
        "events": all_events,
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": None,
    })


BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("DANA_TEST_POSTGRES_URL") else [])


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path, monkeypatch):
    """A fresh back office for one test: SQLite, and PostgreSQL when
    DANA_TEST_POSTGRES_URL is set (scripts/test.sh sets it on CI)."""
    from bot.office import db

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dana.db'}"
    else:
        url = os.environ["DANA_TEST_POSTGRES_URL"]
        from bot.office.models import RASA_EVENTS

        db.Base.metadata.drop_all(db.get_engine(url))
        RASA_EVENTS.drop(db.get_engine(url), checkfirst=True)  # Rasa's conversations too: a fresh database
    monkeypatch.setenv("DANA_DATABASE_URL", url)
    db.get_engine.cache_clear()
    db.init_db(url)
    yield url
    db.get_engine(url).dispose()
    db.get_engine.cache_clear()


@pytest.fixture
def seeded(database):
    """The demo back office (README «Demo logins»)."""
    from bot.office.db import new_session
    from bot.office.seed import seed

    with new_session(database) as session, session.begin():
        seed(session)
    return database


def responses(dispatcher) -> list[str]:
    """Names of the responses sent (custom payloads such as the hand-off signal left out)."""
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def slots_of(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture(scope="session")
def say(domain):
    """What the customer reads: ``await say(message, lang)`` renders a message an
    action sent (dispatcher.messages) through Dana's NLG, as the Rasa server does."""
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.server.nlg import DanaNaturalLanguageGenerator

    nlg = DanaNaturalLanguageGenerator(domain=domain)

    async def render(message: dict, lang: str) -> str:
        tracker = DialogueStateTracker.from_events("t", [], slots=domain.slots)
        tracker.update(SlotSet("language", lang))
        values = {k: v for k, v in message.items() if k != "response"}
        return (await nlg.generate(message["response"], tracker, "rest", **values))["text"]

    return render


@pytest.fixture(autouse=True)
def office_hours(monkeypatch):
    """Tests run at 12:00 Astana time on a Wednesday unless they set the clock
    themselves (hand-offs and callbacks answer differently at night)."""
    from datetime import datetime

    from bot.office import schedule
    from bot.config import ASTANA

    monkeypatch.setattr(schedule, "now_astana", lambda: datetime(2026, 11, 18, 12, 0, tzinfo=ASTANA))


