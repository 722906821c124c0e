from datetime import datetime

import pytest

from actions.info import ActionBillingPeriodNote, ActionTicketStatus
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


async def test_ticket_status_by_login(seeded, dispatcher, domain_dict):
    await ActionTicketStatus().run(dispatcher, make_tracker(slots={"login": "0851234570"}), domain_dict)
    await ActionTicketStatus().run(dispatcher, make_tracker(slots={"login": "0851234567"}), domain_dict)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ticket_exists", "utter_no_open_ticket"]
