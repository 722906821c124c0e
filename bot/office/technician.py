"""Technician tickets: deadlines from the FAQ and one open ticket per login.

A visit is filed by diagnostics.file_visit (the diagnosis first, in the same
transaction); diagnostics imports this module, so the service cannot live here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import POLICY
from bot.office.db import new_session
from bot.office.models import TechnicianTicket

OPEN_STATUSES = ("open", "scheduled")


@dataclass(frozen=True)
class Deadlines:
    callback_due: datetime
    visit_due: datetime
    resolve_due: datetime


def deadlines(created: datetime) -> Deadlines:
    """Specialist calls within 2 h; technician within a day; resolved within 3 days."""
    return Deadlines(
        callback_due=created + timedelta(hours=POLICY.callback_hours),
        visit_due=created + timedelta(days=POLICY.visit_days),
        resolve_due=created + timedelta(days=POLICY.resolve_days),
    )


def open_ticket_for(session: Session, login: str) -> TechnicianTicket | None:
    return (
        session.execute(
            select(TechnicianTicket)
            .where(TechnicianTicket.login == login, TechnicianTicket.status.in_(OPEN_STATUSES))
            .order_by(TechnicianTicket.created_at.desc())
        )
        .scalars()
        .first()
    )


def open_ticket(login: str) -> TechnicianTicket | None:
    """open_ticket_for in a session of its own («when will the technician come?»)."""
    with new_session() as session:
        return open_ticket_for(session, login)


def file_ticket(
    session: Session,
    *,
    login: str,
    problem: str,
    contact_phone: str | None,
    channel: str,
    language: str,
    now: datetime,
    conversation_id: str | None = None,
) -> tuple[TechnicianTicket, bool]:
    """The login's open ticket if there is one (created=False), else a new one."""
    existing = open_ticket_for(session, login)
    if existing:
        return existing, False
    due = deadlines(now)
    ticket = TechnicianTicket(
        login=login,
        problem=problem,
        contact_phone=contact_phone,
        channel=channel,
        language=language,
        conversation_id=conversation_id,
        created_at=now,
        callback_due=due.callback_due,
        visit_due=due.visit_due,
        resolve_due=due.resolve_due,
    )
    session.add(ticket)
    session.flush()
    return ticket, True
