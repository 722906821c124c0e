"""Line diagnostics for a login, in the FAQ's order:
active outage → open ticket → line fault → nothing found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.office.models import Outage, Subscriber, TechnicianTicket
from bot.office.technician import open_ticket_for

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
