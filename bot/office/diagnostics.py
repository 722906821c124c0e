"""Line diagnostics for a login, in the FAQ's order:
active outage → open ticket → line fault → nothing found.

The actions call ``diagnose_login`` and ``file_visit``, each with a session of
its own; ``diagnose`` is the step inside a caller's session (the CLI, tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.office.db import new_session
from bot.office.models import Outage, Subscriber, TechnicianTicket
from bot.office.technician import file_ticket, open_ticket_for

LINE_FAULTS = ("cable_cut", "link_down")


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # unknown_login | outage | open_ticket | line_fault | no_fault
    subscriber: Subscriber | None = None
    outage: Outage | None = None
    ticket: TechnicianTicket | None = None
    fault: str | None = None

    @property
    def fee_unpaid(self) -> bool:
        return self.subscriber is not None and not self.subscriber.fee_paid  # a model row is always truthy


def active_outage(session: Session, area: str, now: datetime) -> Outage | None:
    return (
        session.execute(
            select(Outage)
            .where(Outage.area == area, Outage.started_at <= now, Outage.cleared_at.is_(None))
            .where(or_(Outage.expected_end.is_(None), Outage.expected_end > now))
            .order_by(Outage.started_at.desc())
        )
        .scalars()
        .first()
    )


def diagnose(session: Session, login: str, now: datetime) -> Diagnosis:
    subscriber = session.get(Subscriber, login)
    if subscriber is None:
        return Diagnosis("unknown_login")
    outage = active_outage(session, subscriber.area, now)
    if outage:
        return Diagnosis("outage", subscriber, outage=outage)
    ticket = open_ticket_for(session, login)
    if ticket:
        return Diagnosis("open_ticket", subscriber, ticket=ticket)
    if subscriber.line_status in LINE_FAULTS:
        return Diagnosis("line_fault", subscriber, fault=subscriber.line_status)
    return Diagnosis("no_fault", subscriber)


def diagnose_login(login: str, now: datetime) -> Diagnosis:
    """diagnose in a session of its own. The rows in the answer were read whole
    and have no relationships, so they stay readable after the session closes."""
    with new_session() as session:
        return diagnose(session, login, now)


@dataclass(frozen=True)
class Visit:
    """A technician request's outcome: the diagnosis, and the ticket unless the
    diagnosis made a visit pointless (an outage; a line fault with the month's
    fee unpaid). ``created`` is False when the login's open ticket came back."""

    diagnosis: Diagnosis
    ticket: TechnicianTicket | None = None
    created: bool = False


def file_visit(
    *,
    login: str,
    problem: str,
    contact_phone: str | None,
    channel: str,
    language: str,
    now: datetime,
    conversation_id: str | None = None,
) -> Visit:
    """Diagnose, then file the ticket, in one transaction: the ticket is decided
    on the line as it was read. Lives here because this module imports technician."""
    with new_session() as session, session.begin():
        found = diagnose(session, login, now)
        if found.kind == "outage" or (found.fee_unpaid and found.kind == "line_fault"):
            return Visit(found)
        ticket, created = file_ticket(
            session,
            login=login,
            problem=problem,
            contact_phone=contact_phone,
            channel=channel,
            language=language,
            now=now,
            conversation_id=conversation_id,
        )
        return Visit(found, ticket, created)
