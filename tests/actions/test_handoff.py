from datetime import datetime

import pytest
from sqlalchemy import select

from actions.handoff import ActionHandoff
from bot.config import ASTANA
from bot.office import schedule
from bot.office.db import new_session
from bot.office.models import Handoff
from tests.conftest import make_tracker


async def test_handoff_is_recorded_with_language_and_topic(database, dispatcher, domain_dict):
    events = [
        {"event": "user", "text": "интернет жоқ", "parse_data": {"intent": {"name": "internet_down"}, "entities": []}}
    ]
    tracker = make_tracker(intent="request_human", text="операторға қосыңыз", lang="kk", events=events)
    await ActionHandoff().run(dispatcher, tracker, domain_dict)
    assert dispatcher.messages[0]["response"] == "utter_handoff"
    signal = dispatcher.messages[1]["custom"]["handoff"]
    assert (signal["language"], signal["intent"], signal["reason"]) == ("kk", "internet_down", "requested")
    with new_session(database) as session:
        [row] = session.execute(select(Handoff)).scalars().all()
    assert (row.language, row.intent, row.reason) == ("kk", "internet_down", "requested")


async def test_customer_is_answered_even_when_the_database_is_down(monkeypatch, dispatcher, domain_dict):
    monkeypatch.setenv("DANA_DATABASE_URL", "sqlite:////nonexistent/dir/x.db")
    from bot.office import db

    db.get_engine.cache_clear()
    import actions.handoff as module

    def broken(**_):
        raise OSError("database unreachable")

    monkeypatch.setattr(module, "record_handoff", broken)
    await ActionHandoff().run(dispatcher, make_tracker(intent="request_human"), domain_dict)
    assert dispatcher.messages[0]["response"] == "utter_handoff"
    assert "handoff_id" not in dispatcher.messages[1]["custom"]["handoff"]
    db.get_engine.cache_clear()


@pytest.mark.parametrize(
    "hour, minute, response",
    [
        (21, 59, "utter_handoff"),
        (22, 1, "utter_handoff_after_hours"),
        (8, 59, "utter_handoff_after_hours"),
        (9, 0, "utter_handoff"),
    ],
)
async def test_outside_operator_hours_the_customer_hears_when(
    monkeypatch, database, dispatcher, domain_dict, hour, minute, response
):
    monkeypatch.setattr(schedule, "now_astana", lambda: datetime(2026, 11, 25, hour, minute, tzinfo=ASTANA))
    await ActionHandoff().run(dispatcher, make_tracker(intent="request_human", lang="kk"), domain_dict)
    assert dispatcher.messages[0]["response"] == response
    assert dispatcher.messages[1]["custom"]["handoff"]["after_hours"] is (response != "utter_handoff")
