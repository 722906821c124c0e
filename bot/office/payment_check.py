"""A payment that was not credited: the payment check (investigation) filed, its
answer due in POLICY.investigation_days.

A request is idempotent per conversation: filing the same data again (a retry
after a crash, a double click) returns the row already there.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import POLICY
from bot.office.models import PaymentInvestigation


def file_investigation(
    session: Session,
    *,
    conversation_id: str,
    login: str,
    payment_date: date,
    amount: int,
    partner: str,
    contact_phone: str,
    channel: str,
    now: datetime,
    payment_time: str | None = None,
) -> PaymentInvestigation:
    existing = (
        session.execute(
            select(PaymentInvestigation).where(
                PaymentInvestigation.conversation_id == conversation_id,
                PaymentInvestigation.login == login,
                PaymentInvestigation.payment_date == payment_date,
                PaymentInvestigation.amount == amount,
            )
        )
        .scalars()
        .first()
    )
    if existing:
        return existing
    row = PaymentInvestigation(
        conversation_id=conversation_id,
        login=login,
        payment_date=payment_date,
        amount=amount,
        partner=partner,
        contact_phone=contact_phone,
        payment_time=payment_time,
        channel=channel,
        created_at=now,
        answer_due=now + timedelta(days=POLICY.investigation_days),
    )
    session.add(row)
    session.flush()
    return row
