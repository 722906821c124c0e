from datetime import datetime, timedelta

from sqlalchemy import select

from actions.technician import ActionFileTicket
from bot.config import ASTANA
from bot.office.db import new_session
from bot.office.models import Consent, TechnicianTicket
from tests.conftest import make_tracker, responses, slots_of

FILED = {"login": "0851234568", "consent": True, "phone_number": "+77021234568"}


def _at(monkeypatch, hour, day=15):
    moment = datetime(2026, 11, day, hour, 0, tzinfo=ASTANA)
    monkeypatch.setattr("actions.technician.utcnow", lambda: moment)


async def test_ticket_filed_with_faq_deadlines_and_consent_recorded(seeded, dispatcher, domain_dict, monkeypatch):
    _at(monkeypatch, 10)
    events = await ActionFileTicket().run(dispatcher, make_tracker(slots=FILED, intent="affirm"), domain_dict)
    assert responses(dispatcher) == ["utter_ticket_created"]
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
    assert responses(dispatcher) == ["utter_ticket_created", "utter_ticket_exists"]


async def test_after_18_one_message_says_when_the_call_comes(seeded, dispatcher, domain_dict, monkeypatch, say):
    """Not «a specialist calls within 2 hours» and then «after 09:00»: one answer."""
    _at(monkeypatch, 19)
    events = await ActionFileTicket().run(dispatcher, make_tracker(slots=FILED), domain_dict)
    assert responses(dispatcher) == ["utter_ticket_created_after_hours"]
    assert dispatcher.messages[0]["callback_from"] == "2026-11-16T09:00:00+05:00"
    ticket_id = slots_of(events)["ticket_id"]
    kk, ru = await say(dispatcher.messages[0], "kk"), await say(dispatcher.messages[0], "ru")
    for text in (kk, ru):
        assert ticket_id in text and "16.11 09:00" in text, text
    assert "2 сағат" not in kk and "2 час" not in ru


async def test_billing_period_note_from_the_27th(seeded, dispatcher, domain_dict, monkeypatch):
    _at(monkeypatch, 10, day=27)
    await ActionFileTicket().run(dispatcher, make_tracker(slots=FILED), domain_dict)
    assert responses(dispatcher) == ["utter_ticket_created", "utter_billing_period_note"]


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


async def test_failure_hands_over_with_everything_collected(seeded, dispatcher, domain_dict, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("db write failed")

    monkeypatch.setattr("actions.technician.file_ticket", broken)
    await ActionFileTicket().run(dispatcher, make_tracker(slots=FILED), domain_dict)
    assert responses(dispatcher)[:2] == ["utter_ticket_failed", "utter_handoff"]
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
        {"event": "slot", "timestamp": None, "name": "consent", "value": None}]
    with new_session(seeded) as session:
        assert session.execute(select(Consent.purpose).order_by(Consent.id)).scalars().all() == [
            "technician_visit", "refund"]
