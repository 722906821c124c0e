"""Customers told of changes: once per change, never at night, never on a call."""

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.config import ASTANA
from bot.office import notices
from bot.office.db import new_session
from bot.office.models import Notification, Outage, RefundRequest, Subscriber, TechnicianTicket


def _ticket(session, conversation_id="rest:1", channel="rest") -> TechnicianTicket:
    session.merge(Subscriber(login="0851234567", full_name="Асанов Асан", area="Астана"))
    now = datetime.now(ASTANA)
    ticket = TechnicianTicket(login="0851234567", problem="internet_down", channel=channel, language="ru",
                              conversation_id=conversation_id, callback_due=now, visit_due=now, resolve_due=now)
    session.add(ticket)
    session.flush()
    return ticket


def _sent() -> list:
    with new_session() as session:
        return [(n.conversation_id, n.change, n.response, n.slots) for n in session.execute(select(Notification)).scalars()]


def test_a_resolved_ticket_is_told_once_with_its_number(database):
    with new_session() as session, session.begin():
        ticket = _ticket(session)
        assert notices.status_set(session, ticket, "scheduled") is None  # not a change customers hear about
        assert notices.status_set(session, ticket, "resolved") is not None
        assert notices.status_set(session, ticket, "resolved") is None  # the same status again
    assert _sent() == [("rest:1", f"technician_tickets:{ticket.id}:resolved", "utter_notify_ticket_resolved",
                        f'{{"ticket_id": {ticket.id}}}')]


def test_nothing_is_made_for_a_phone_call_or_a_request_without_a_conversation(database):
    with new_session() as session, session.begin():
        assert notices.status_set(session, _ticket(session, "voice:c1", "voice"), "resolved") is None
        assert notices.status_set(session, _ticket(session, None), "resolved") is None
    assert _sent() == []


def test_refund_decisions_each_have_their_message(database):
    with new_session() as session, session.begin():
        refund = RefundRequest(conversation_id="telegram:5", channel="telegram", wrong_login="0851234568",
                               right_login="0851234567", amount=5000, payment_date=datetime.now(ASTANA).date(),
                               payer_name="Асанов Асан", contact_phone="+77051234567", receipt_required=False)
        session.add(refund)
        session.flush()
        notices.status_set(session, refund, "approved")
        notices.status_set(session, refund, "done")
    assert [s[2] for s in _sent()] == ["utter_notify_refund_approved", "utter_notify_refund_done"]


def test_an_outage_cleared_tells_each_customer_told_about_it_once(database):
    with new_session() as session, session.begin():
        outage = Outage(area="Астана", note="")
        session.add(outage)
        session.flush()
        outage_id = outage.id
    for conversation, channel in (("rest:a", "rest"), ("rest:a", "rest"), ("widget:b", "socketio"), ("voice:c", "voice")):
        notices.told_about_outage(outage_id, conversation, channel)
    with new_session() as session, session.begin():
        assert notices.outage_cleared(session, session.get(Outage, outage_id), datetime.now(ASTANA)) == 2
    with new_session() as session, session.begin():  # cleared twice (a second click): nobody hears it twice
        assert notices.outage_cleared(session, session.get(Outage, outage_id), datetime.now(ASTANA)) == 0
    assert sorted(s[0] for s in _sent()) == ["rest:a", "widget:b"]


def test_none_at_night_all_in_the_morning_and_each_sent_by_one_server(database):
    with new_session() as session, session.begin():
        notices.status_set(session, _ticket(session), "resolved")
    evening = datetime(2026, 12, 5, 23, 0, tzinfo=ASTANA)
    assert notices.due(evening) == [] and notices.due(evening + timedelta(hours=9, minutes=59)) == []
    [due] = notices.due(evening + timedelta(hours=10))  # 09:00
    assert due["response"] == "utter_notify_ticket_resolved"
    assert notices.take(due["id"]) is True
    assert notices.take(due["id"]) is False
    assert notices.due(evening + timedelta(hours=10)) == []
