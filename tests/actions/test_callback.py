from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from actions.callback import ActionCallbackWindow, ActionFileCallback
from bot.config import ASTANA
from bot.office import schedule
from bot.office.db import new_session
from bot.office.models import CallbackRequest, Handoff
from tests.conftest import make_tracker, responses, slots_of


@pytest.mark.parametrize("hour, minute, is_open", [(21, 59, True), (22, 1, False), (8, 59, False), (9, 0, True)])
async def test_callback_window(monkeypatch, dispatcher, domain_dict, hour, minute, is_open):
    monkeypatch.setattr(schedule, "now_astana", lambda: datetime(2026, 11, 25, hour, minute, tzinfo=ASTANA))
    events = await ActionCallbackWindow().run(dispatcher, make_tracker(intent="request_callback"), domain_dict)
    assert slots_of(events) == {"callback_open": is_open}
    assert responses(dispatcher) == ["utter_request_callback" if is_open else "utter_callback_outside_hours"]


async def test_callback_recorded_with_phone_and_topic(seeded, dispatcher, domain_dict):
    slots = {"consent": True, "phone_number": "+77771234567", "callback_topic": "тариф туралы"}
    await ActionFileCallback().run(dispatcher, make_tracker(slots=slots, lang="kk"), domain_dict)
    assert responses(dispatcher) == ["utter_callback_created", "utter_ask_csat"]
    with new_session(seeded) as session:
        row = session.execute(select(CallbackRequest)).scalar_one()
    assert (row.phone, row.topic, row.language) == ("+77771234567", "тариф туралы", "kk")


FILED = {"consent": True, "phone_number": "+77771234567", "callback_topic": "тариф туралы"}


async def test_a_failed_filing_is_apologised_for_and_handed_over(seeded, dispatcher, domain_dict, monkeypatch, caplog):
    def broken(*a, **k):
        raise RuntimeError("db write failed")

    monkeypatch.setattr("bot.office.callback.file_callback", broken)
    await ActionFileCallback().run(dispatcher, make_tracker(slots=FILED), domain_dict)
    assert responses(dispatcher) == ["utter_service_unavailable", "utter_handoff"]
    assert [(r.name, r.getMessage()) for r in caplog.records if r.exc_info] == [
        ("actions.callback", "filing a callback failed")
    ]
    with new_session(seeded) as session:
        assert session.execute(select(Handoff.reason)).scalar_one() == "callback_failed"
        assert session.execute(select(CallbackRequest)).first() is None


async def test_a_database_restart_is_waited_out_not_told(seeded, dispatcher, domain_dict, monkeypatch):
    """The action fails and Rasa runs it again (bot/server/resilience.py): no
    «service unavailable», no operator."""

    def restarting(*a, **k):
        raise OperationalError("INSERT", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr("bot.office.callback.file_callback", restarting)
    with pytest.raises(OperationalError):
        await ActionFileCallback().run(dispatcher, make_tracker(slots=FILED), domain_dict)
    assert responses(dispatcher) == []
    with new_session(seeded) as session:
        assert session.execute(select(Handoff)).first() is None
