from datetime import timedelta

import pytest

from bot.office.db import new_session
from bot.office.diagnostics import diagnose
from bot.office.models import utcnow
from bot.office.seed import seed
from bot.office.technician import deadlines, file_ticket


@pytest.fixture
def session(database):
    with new_session(database) as s, s.begin():
        seed(s)
        yield s


@pytest.mark.parametrize(
    "login, kind",
    [
        ("0851234567", "no_fault"),
        ("0851234568", "line_fault"),
        ("0851234569", "outage"),
        ("0851234570", "open_ticket"),
        ("0000000000", "unknown_login"),
    ],
)
def test_demo_logins_cover_every_branch(session, login, kind):
    assert diagnose(session, login, utcnow()).kind == kind


def test_outage_comes_with_its_eta(session):
    found = diagnose(session, "0851234569", utcnow())
    assert found.outage.expected_end > utcnow()


def test_outage_over_means_no_outage(session):
    later = utcnow() + timedelta(hours=5)
    assert diagnose(session, "0851234569", later).kind == "no_fault"


def test_fee_unpaid_is_reported_with_the_fault(session):
    found = diagnose(session, "0851234571", utcnow())
    assert (found.kind, found.fee_unpaid) == ("line_fault", True)


def test_ticket_deadlines_and_no_duplicate(session):
    now = utcnow()
    ticket, created = file_ticket(
        session,
        login="0851234568",
        problem="cable_damaged",
        contact_phone="+77021234568",
        channel="rest",
        language="ru",
        now=now,
    )
    assert created
    assert ticket.callback_due - ticket.created_at == timedelta(hours=2)
    assert ticket.resolve_due - ticket.created_at == timedelta(days=3)
    again, created_again = file_ticket(
        session, login="0851234568", problem="cable_damaged", contact_phone=None, channel="rest", language="ru", now=now
    )
    assert (again.id, created_again) == (ticket.id, False)


def test_deadlines_from_config():
    now = utcnow()
    due = deadlines(now)
    assert (due.visit_due - now) == timedelta(days=1)
