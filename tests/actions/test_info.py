import re
from datetime import datetime

import pytest

from actions.info import ActionBillingPeriodNote, ActionTicketStatus
from bot.office import schedule
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


@pytest.mark.parametrize("status", ["open", "scheduled"])  # bot/office/tickets.py OPEN_STATUSES
async def test_the_open_ticket_is_told_in_words_and_local_times(seeded, dispatcher, domain_dict, say, status):
    from bot.office.db import new_session
    from bot.office.tickets import open_ticket_for

    with new_session(seeded) as session, session.begin():
        ticket = open_ticket_for(session, "0851234570")
        ticket.status = status
        due = {name: getattr(ticket, name).astimezone(ASTANA) for name in ("callback_due", "visit_due", "resolve_due")}
    await ActionTicketStatus().run(dispatcher, make_tracker(slots={"login": "0851234570"}), domain_dict)
    message = dispatcher.messages[0]
    assert message["ticket_status"] == status  # the action passes the code; the NLG says it
    kk, ru = await say(message, "kk"), await say(message, "ru")
    for text in (kk, ru):
        assert not re.search(r"\b(open|scheduled|resolved|cancelled)\b|\d{4}-\d{2}-\d{2}", text), text
    shown = {name: moment.strftime("%d.%m %H:%M") for name, moment in due.items()}
    assert f"до {shown['callback_due']}, техник придёт до {shown['visit_due']}" in ru
    assert f"Маман {shown['callback_due']}-" in kk and f"техник {shown['visit_due']}-" in kk
    assert kk.count(" дейін") == 3
