import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from actions.technician import ActionBillingPeriodNote, ActionFileTicket, ActionTicketStatus
from bot.config import ASTANA
from bot.office import schedule
from bot.office.db import new_session
from bot.office.models import Consent, TechnicianTicket
from bot.office.technician import open_ticket_for
from tests.conftest import make_tracker, responses, slots_of

FILED = {"login": "0851234568", "consent": True, "phone_number": "+77021234568"}


def _at(monkeypatch, hour, day=15):
    moment = datetime(2026, 11, day, hour, 0, tzinfo=ASTANA)
    monkeypatch.setattr("actions.technician.utcnow", lambda: moment)


async def test_ticket_filed_with_faq_deadlines_and_consent_recorded(seeded, dispatcher, domain_dict, monkeypatch):
    _at(monkeypatch, 10)
    events = await ActionFileTicket().run(dispatcher, make_tracker(slots=FILED, intent="affirm"), domain_dict)
    assert responses(dispatcher) == ["utter_ticket_created", "utter_ask_csat"]
    with new_session(seeded) as session:
        ticket = session.get(TechnicianTicket, int(slots_of(events)["ticket_id"]))
        assert ticket.callback_due - ticket.created_at == timedelta(hours=2)
        assert ticket.resolve_due - ticket.created_at == timedelta(days=3)
        assert session.execute(select(Consent.granted, Consent.purpose)).one() == (True, "technician_visit")


async def test_filing_twice_returns_the_same_ticket(seeded, dispatcher, domain_dict, monkeypatch):
    _at(monkeypatch, 10)
    first = slots_of(await ActionFileTicket().run(dispatcher, make_tracker(slots=FILED), domain_dict))
    second = slots_of(await ActionFileTicket().run(dispatcher, make_tracker(slots=FILED), domain_dict))
    assert first["ticket_id"] == second["ticket_id"]
    assert responses(dispatcher) == ["utter_ticket_created", "utter_ask_csat", "utter_ticket_exists"]


async def test_after_18_one_message_says_when_the_call_comes(seeded, dispatcher, domain_dict, monkeypatch, say):
    """Not «a specialist calls within 2 hours» and then «after 09:00»: one answer."""
    _at(monkeypatch, 19)
    events = await ActionFileTicket().run(dispatcher, make_tracker(slots=FILED), domain_dict)
    assert responses(dispatcher) == ["utter_ticket_created_after_hours", "utter_ask_csat"]
    assert dispatcher.messages[0]["callback_from"] == "2026-11-16T09:00:00+05:00"
    ticket_id = slots_of(events)["ticket_id"]
    kk, ru = await say(dispatcher.messages[0], "kk"), await say(dispatcher.messages[0], "ru")
    for text in (kk, ru):
        assert ticket_id in text and "16.11 09:00" in text, text
    assert "2 сағат" not in kk and "2 час" not in ru


async def test_billing_period_note_from_the_27th(seeded, dispatcher, domain_dict, monkeypatch):
    _at(monkeypatch, 10, day=27)
    await ActionFileTicket().run(dispatcher, make_tracker(slots=FILED), domain_dict)
    assert responses(dispatcher) == ["utter_ticket_created", "utter_billing_period_note", "utter_ask_csat"]


async def test_no_ticket_during_an_outage(seeded, dispatcher, domain_dict):
    await ActionFileTicket().run(dispatcher, make_tracker(slots={**FILED, "login": "0851234569"}), domain_dict)
    assert responses(dispatcher) == ["utter_outage_found"]
    with new_session(seeded) as session:
        assert session.execute(select(TechnicianTicket).where(TechnicianTicket.login == "0851234569")).first() is None


async def test_consent_refused_files_nothing(seeded, dispatcher, domain_dict):
    events = await ActionFileTicket().run(dispatcher, make_tracker(slots={**FILED, "consent": False}), domain_dict)
    assert slots_of(events) == {"consent": None}
    with new_session(seeded) as session:
        assert session.execute(select(Consent.granted)).scalar_one() is False
        assert session.execute(select(TechnicianTicket).where(TechnicianTicket.login == "0851234568")).first() is None


async def test_failure_hands_over_with_everything_collected(seeded, dispatcher, domain_dict, monkeypatch, caplog):
    def broken(*a, **k):
        raise RuntimeError("db write failed")

    monkeypatch.setattr("bot.office.diagnostics.file_ticket", broken)
    await ActionFileTicket().run(dispatcher, make_tracker(slots=FILED), domain_dict)
    assert responses(dispatcher)[:2] == ["utter_ticket_failed", "utter_handoff"]
    assert [(r.name, r.getMessage()) for r in caplog.records if r.exc_info] == [
        ("actions.technician", "filing a technician visit failed")
    ]
    from bot.office.models import Handoff

    with new_session(seeded) as session:
        summary = session.execute(select(Handoff.summary)).scalar_one()
    assert "login=0851234568" in summary and "phone_number=+77021234568" in summary


async def test_consent_covers_one_flow_and_each_flow_records_its_own(seeded, dispatcher, domain_dict, monkeypatch):
    """A yes to a phone number for a visit is not a yes to a refund's name, e-mail
    and receipt: after the filing the answer is forgotten, so the next form asks."""
    _at(monkeypatch, 10)
    events = await ActionFileTicket().run(dispatcher, make_tracker(slots=FILED), domain_dict)
    assert slots_of(events)["consent"] is None
    from actions.consent import settle_consent

    assert settle_consent(make_tracker(slots={"consent": True}), "refund") == [
        {"event": "slot", "timestamp": None, "name": "consent", "value": None}
    ]
    with new_session(seeded) as session:
        assert session.execute(select(Consent.purpose).order_by(Consent.id)).scalars().all() == [
            "technician_visit",
            "refund",
        ]


# request_status: the 27th–4th note and, with a login, the open ticket


def _astana_now(monkeypatch, *args):
    monkeypatch.setattr(schedule, "now_astana", lambda: datetime(*args, tzinfo=ASTANA))


@pytest.mark.parametrize("day, note", [(26, False), (27, True), (30, True), (4, True), (5, False)])
async def test_billing_note_only_from_27th_to_4th(monkeypatch, dispatcher, domain_dict, day, note):
    _astana_now(monkeypatch, 2026, 12 if day < 27 else 11, day, 12, 0)
    await ActionBillingPeriodNote().run(dispatcher, make_tracker(intent="request_status"), domain_dict)
    assert [m["response"] for m in dispatcher.messages] == (["utter_billing_period_note"] if note else [])


async def test_ticket_status_by_login(seeded, dispatcher, domain_dict):
    await ActionTicketStatus().run(dispatcher, make_tracker(slots={"login": "0851234570"}), domain_dict)
    await ActionTicketStatus().run(dispatcher, make_tracker(slots={"login": "0851234567"}), domain_dict)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ticket_exists", "utter_no_open_ticket"]


@pytest.mark.parametrize("status", ["open", "scheduled"])  # bot/office/technician.py OPEN_STATUSES
async def test_the_open_ticket_is_told_in_words_and_local_times(seeded, dispatcher, domain_dict, say, status):
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
