from datetime import datetime

import pytest
from sqlalchemy import select

from actions.callback import ActionCallbackWindow, ActionFileCallback
from bot.office import schedule
from bot.config import ASTANA
from bot.office.db import new_session
from bot.office.models import CallbackRequest
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
    assert responses(dispatcher) == ["utter_callback_created"]
    with new_session(seeded) as session:
        row = session.execute(select(CallbackRequest)).scalar_one()
    assert (row.phone, row.topic, row.language) == ("+77771234567", "тариф туралы", "kk")
