from datetime import datetime

import pytest

from actions.info import ActionBillingPeriodNote, ActionCallbackWindow
from bot import schedule
from bot.config import ASTANA
from tests.conftest import make_tracker


def _at(monkeypatch, *args):
    monkeypatch.setattr(schedule, "now_astana", lambda: datetime(*args, tzinfo=ASTANA))


@pytest.mark.parametrize("day, note", [(26, False), (27, True), (30, True), (4, True), (5, False)])
async def test_billing_note_only_from_27th_to_4th(monkeypatch, dispatcher, domain_dict, day, note):
    _at(monkeypatch, 2026, 12 if day < 27 else 11, day, 12, 0)
    await ActionBillingPeriodNote().run(dispatcher, make_tracker(intent="request_status"), domain_dict)
    assert [m["response"] for m in dispatcher.messages] == (["utter_billing_period_note"] if note else [])


@pytest.mark.parametrize(
    "hour, minute, response",
    [(8, 59, "utter_callback_outside_hours"), (9, 0, "utter_request_callback"),
     (21, 59, "utter_request_callback"), (22, 1, "utter_callback_outside_hours")],
)
async def test_callback_window_in_astana_time(monkeypatch, dispatcher, domain_dict, hour, minute, response):
    _at(monkeypatch, 2026, 11, 25, hour, minute)
    await ActionCallbackWindow().run(dispatcher, make_tracker(intent="request_callback"), domain_dict)
    assert [m["response"] for m in dispatcher.messages] == [response]
