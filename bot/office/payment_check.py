"""A payment that was not credited: the payment check (investigation) filed, its
answer due in POLICY.investigation_days.

A request is idempotent per conversation: filing the same data again (a retry
after a crash, a double click) returns the row already there. ``file`` is what
the action calls: the request and the receipts already sent, one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import POLICY
from bot.office.db import new_session
from bot.office.models import PaymentInvestigation
from bot.office.receipts import attach_pending


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


@dataclass(frozen=True)
class FiledInvestigation:
    id: int
    receipts_attached: int  # receipts sent before the filing, joined to it now


def file(**request: Any) -> FiledInvestigation:
    """file_investigation (its keyword arguments) and attach_pending in one
    transaction: no request is committed without the receipts the customer
    already sent for it."""
    with new_session() as session, session.begin():
        row = file_investigation(session, **request)
        attached = attach_pending(session, request["conversation_id"], "investigation", row.id)
        return FiledInvestigation(row.id, attached)
